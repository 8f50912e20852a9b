package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestGCPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, headroom uint64
		want           int
	}{
		{0, 12 * mib, maxGCPercent},
		{1 * mib, 12 * mib, maxGCPercent},
		{8 * mib, 12 * mib, 150},
		{12 * mib, 12 * mib, 100},
		{20 * mib, 12 * mib, 60},
		{1 << 30, 12 * mib, minGCPercent},
	} {
		if got := gcPercent(c.live, c.headroom); got != c.want {
			t.Errorf("gcPercent(%d, %d) = %d, want %d", c.live, c.headroom, got, c.want)
		}
	}
}

// gogc reads the GC percent in force.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// TestGCHeadroom: the percent follows each collection, and restore ends that and puts the previous
// percent back.
func TestGCHeadroom(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	restore := gcHeadroom(1) // a heap of any size may grow by 1 byte: the smallest percent
	if p := gogc(); p != maxGCPercent {
		t.Fatalf("GC percent before the first collection = %d, want %d", p, maxGCPercent)
	}
	runtime.GC()
	for deadline := time.Now().Add(10 * time.Second); gogc() != minGCPercent; {
		if time.Now().After(deadline) {
			t.Fatalf("GC percent after a collection = %d, want %d", gogc(), minGCPercent)
		}
		time.Sleep(time.Millisecond)
	}
	restore()
	if p := gogc(); p != 100 {
		t.Fatalf("GC percent after restore = %d, want 100", p)
	}
	runtime.GC()
	time.Sleep(50 * time.Millisecond) // a cleanup still queued must not act
	if p := gogc(); p != 100 {
		t.Errorf("GC percent after restore and a collection = %d, want 100", p)
	}
}
