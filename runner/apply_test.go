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

// TestApplyReportsThePlanCarriedOut: the report holds the plan applied, the new one when the
// apply planned again under the lock.
func TestApplyReportsThePlanCarriedOut(t *testing.T) {
	_, db := openEmulator(t)
	d := runner.FromSpec(fleet(2))
	p := planFor(t, db, d)
	ctx := context.Background()
	apply(t, db, runner.FromSpec(fleet(1)))
	var replanned *runner.Plan
	replan := func(live *jobdb.State) (*runner.Plan, error) {
		var err error
		replanned, err = runner.Diff(d, live, runner.Options{Scope: "bench", Now: time.Now()})
		return replanned, err
	}
	rep, err := runner.Apply(ctx, db, p, runner.ApplyOptions{LockWait: time.Minute, Replan: replan})
	if err != nil || !rep.Replanned || replanned == nil || rep.Plan != replanned {
		t.Fatalf("planned again: %v, report plan %p, new plan %p", err, rep.Plan, replanned)
	}
	p = planFor(t, db, runner.FromSpec(fleet(3)))
	if rep, err = runner.Apply(ctx, db, p, runner.ApplyOptions{LockWait: time.Minute, Replan: replan}); err != nil || rep.Replanned || rep.Plan != p {
		t.Fatalf("not planned again: %v, report plan %p, plan %p", err, rep.Plan, p)
	}
}
