package watch

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRetryBacksOffAndLogsAnOutageSparingly(t *testing.T) {
	r := retry{min: time.Second, max: 10 * time.Second}
	t0 := time.Unix(1_000_000, 0)
	down := errors.New("connection refused")
	type step struct {
		Delay time.Duration
		Log   bool
	}
	var got []step
	now := t0
	for range 17 {
		d, log := r.fail(now, down)
		got = append(got, step{d, log})
		now = now.Add(d)
	}
	// Retries at 1s, 2s, 4s, 8s, then every 10s; logged at the first failure and then at most
	// once per 100s.
	want := []step{{1 * time.Second, true}, {2 * time.Second, false}, {4 * time.Second, false}, {8 * time.Second, false}}
	for i := 4; i < 17; i++ {
		want = append(want, step{10 * time.Second, i == 13}) // 105 s after the first
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("backoff (-want +got):\n%s", diff)
	}
	if _, log := r.fail(now.Add(time.Millisecond), errors.New("login failed")); !log {
		t.Error("a different error is not logged")
	}
	n, since := r.ok()
	if n != 18 || !since.Equal(t0) {
		t.Fatalf("ok() = %d, %v; want 18, %v", n, since, t0)
	}
	if n, _ := r.ok(); n != 0 {
		t.Fatalf("a second ok() reports %d failures", n)
	}
	if d, log := r.fail(now, down); d != time.Second || !log {
		t.Fatalf("after recovery the backoff starts again: %v, %v", d, log)
	}
}
