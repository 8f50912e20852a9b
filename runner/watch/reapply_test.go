package watch

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestPassAtTheNextOffsetChange: a pass that names a time to apply again (the next offset change
// of a schedule in local time) gets a pass then, without a file event or a resync, on the loop's
// clock; a pass that names none gets no extra pass.
func TestPassAtTheNextOffsetChange(t *testing.T) {
	t.Parallel()
	// The loop's clock is years ahead of the machine's: timers follow it, not the wall clock.
	shift := 3 * 365 * 24 * time.Hour
	now := func() time.Time { return time.Now().Add(shift) }
	var passes atomic.Int32
	var due atomic.Value // time.Time of the Reapply the first pass names
	h := start(t, Config{Interval: time.Hour, Now: now}, func(Request) Result {
		if passes.Add(1) == 1 {
			at := now().Add(400 * time.Millisecond)
			due.Store(at)
			return Result{Reapply: at}
		}
		return Result{}
	})
	h.pass(t)
	h.pass(t)
	if early := due.Load().(time.Time).Sub(now()); early > 50*time.Millisecond {
		t.Fatalf("the second pass came %s before the time the first named", early)
	}
	h.noPass(t)
	recs := h.logs.lines("INFO", "pass")
	if len(recs) != 2 || recs[0]["reapply_at"] == nil || recs[1]["trigger"] != "schedule" {
		t.Fatalf("pass log lines: %v", recs)
	}
}

// TestReapplyTheFirstPassOvertook: a time to apply again that falls within the pass that named it
// gets a pass at once; a time before the pass began is ignored.
func TestReapplyTheFirstPassOvertook(t *testing.T) {
	t.Parallel()
	var passes atomic.Int32
	h := start(t, Config{Interval: time.Hour}, func(Request) Result {
		began := time.Now()
		switch passes.Add(1) {
		case 1:
			time.Sleep(100 * time.Millisecond)
			return Result{Reapply: began.Add(50 * time.Millisecond)}
		default:
			return Result{Reapply: began.Add(-time.Second)}
		}
	})
	h.pass(t)
	h.pass(t)
	h.noPass(t)
}
