package runner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

// TestApplyPlansAgainWhenTheLiveStateMoved applies a plan made before another apply changed the
// job database: without Replan it is refused as stale; with it the apply plans again, says so in
// the report and applies only what is still missing.
func TestApplyPlansAgainWhenTheLiveStateMoved(t *testing.T) {
	_, db := openEmulator(t)
	d := runner.FromSpec(fleet(3))
	p := planFor(t, db, d)
	apply(t, db, runner.FromSpec(fleet(1))) // the target group and the first job

	ctx := context.Background()
	if _, err := runner.Apply(ctx, db, p, runner.ApplyOptions{LockWait: time.Minute}); !errors.Is(err, runner.ErrStale) {
		t.Fatalf("stale plan without Replan: %v, want ErrStale", err)
	}
	replan := func(live *jobdb.State) (*runner.Plan, error) {
		return runner.Diff(d, live, runner.Options{Scope: "bench", Now: time.Now()})
	}
	rep, err := runner.Apply(ctx, db, p, runner.ApplyOptions{LockWait: time.Minute, Replan: replan})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Replanned || rep.Added != 2 || len(rep.Applied) != 2 || rep.Duration <= 0 {
		t.Fatalf("report after the live state moved: %+v, want replanned, 2 added", rep)
	}
	if rep := apply(t, db, runner.FromSpec(fleet(4))); rep.Replanned || rep.Added != 1 {
		t.Fatalf("report of a fresh plan: %+v, want not replanned, 1 added", rep)
	}
}
