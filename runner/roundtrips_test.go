package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/runner"
)

// The round-trip contract of apply: an initial apply of n jobs × 3 steps takes at most
// ceil(n / jobsPerBatch) + fixedRequests requests (the lock with the read under it, and COMMIT),
// and so does a change to one field of every job.
const (
	jobsPerBatch  = 150
	fixedRequests = 2
)

// TestApplyRoundTrips counts the requests of applies at the emulator: the bound above, three
// requests for a small apply whatever its size, the same procedure calls as one request per call
// made, the progress of every call and the job versions in the report.
func TestApplyRoundTrips(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{1, 40, 1000} {
		em, db := openEmulator(t)
		set := fleet(n)
		p := planFor(t, db, runner.FromSpec(set))
		em.ResetStats()
		sent, total := 0, 0
		progress := func(s, tot int) {
			if s != sent+1 {
				t.Errorf("%d jobs: progress went from %d to %d", n, sent, s)
			}
			sent, total = s, tot
		}
		rep, err := runner.Apply(ctx, db, p, runner.ApplyOptions{LockWait: time.Minute, Progress: progress})
		if err != nil {
			t.Fatal(err)
		}
		limit := int64((n+jobsPerBatch-1)/jobsPerBatch + fixedRequests)
		st := em.Stats()
		if st.RoundTrips > limit || n <= 40 && st.RoundTrips != 3 {
			t.Errorf("initial apply of %d jobs: %d requests, want at most %d (3 up to a batch)", n, st.RoundTrips, limit)
		}
		calls := 0
		for name, c := range st.Procs {
			if strings.HasPrefix(name, "jobs.sp_") {
				calls += c
			}
		}
		if calls != 4*n+2 || sent != calls || total != calls {
			t.Errorf("%d jobs: %d procedure calls, progress %d of %d; want %d", n, calls, sent, total, 4*n+2)
		}
		for _, a := range rep.Applied {
			if a.Kind == runner.KindJob && a.Version != 3 {
				t.Fatalf("%d jobs: job %s reported version %d, want 3", n, a.Name, a.Version)
			}
		}

		for _, j := range set.Jobs {
			j.Description = "changed"
		}
		p = planFor(t, db, runner.FromSpec(set))
		em.ResetStats()
		if _, err := runner.Apply(ctx, db, p, runner.ApplyOptions{LockWait: time.Minute}); err != nil {
			t.Fatal(err)
		}
		t.Logf("%d jobs: initial %d, change %d requests", n, st.RoundTrips, em.Stats().RoundTrips)
		if rt := em.Stats().RoundTrips; rt > limit {
			t.Errorf("one field changed in %d jobs: %d requests, want at most %d", n, rt, limit)
		}
		if p := planFor(t, db, runner.FromSpec(set)); !p.Empty() || len(p.Inventory) != 0 {
			t.Fatalf("%d jobs: the plan after the applies is not empty", n)
		}
	}
}

// TestApplyNamesTheFailingCall: a call failing in a later batch is named with the server's
// message, and nothing of the earlier batches stays.
func TestApplyNamesTheFailingCall(t *testing.T) {
	_, db := openEmulator(t)
	const n = 600
	p := planFor(t, db, runner.FromSpec(fleet(n)))
	bad := p.Changes[len(p.Changes)-10]
	for i, a := range bad.Ops[2].Args {
		if a.Name == "target_group_name" {
			bad.Ops[2].Args[i].Value = "nowhere"
		}
	}
	_, err := runner.Apply(context.Background(), db, p, runner.ApplyOptions{LockWait: time.Minute})
	want := "job " + bad.Name + " step step-1: jobs.sp_add_jobstep: "
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "nowhere") || !strings.HasSuffix(err.Error(), "(nothing was applied)") {
		t.Fatalf("apply with a failing call: %v, want %q, the server's message and nothing applied", err, want)
	}
	live, err := db.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(live.Jobs) != 0 || len(live.TargetGroups) != 0 || live.HasSchema {
		t.Fatalf("a failed apply left %d jobs, %d target groups, schema %t", len(live.Jobs), len(live.TargetGroups), live.HasSchema)
	}
}
