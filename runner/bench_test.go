package runner_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// fleet returns specs of n jobs with three steps each over one target group.
func fleet(n int) *spec.Set {
	set := &spec.Set{
		Agent:        &spec.Agent{Authentication: spec.AuthManagedIdentity},
		TargetGroups: []*spec.TargetGroup{{Meta: spec.Meta{Name: "tenants"}, Members: []spec.Member{{Server: "t1.database.windows.net", Database: "a", Membership: "Include"}}}},
	}
	for i := range n {
		j := &spec.Job{Meta: spec.Meta{Name: fmt.Sprintf("job-%05d", i)}, Description: "maintenance"}
		for s := range 3 {
			j.Steps = append(j.Steps, defaultStep(fmt.Sprintf("step-%d", s), "tenants",
				fmt.Sprintf("IF OBJECT_ID(N'dbo.t%d', N'U') IS NULL CREATE TABLE dbo.t%d (id int);", s, s)))
		}
		set.Jobs = append(set.Jobs, j)
	}
	return set
}

// defaultStep is a step with the default timeout and retries.
func defaultStep(name, group, command string) *spec.Step {
	return &spec.Step{Name: name, TargetGroup: group, Command: command,
		Timeout: spec.DefaultTimeout, Retry: spec.Retry{Attempts: spec.DefaultRetryAttempts, InitialInterval: spec.DefaultInitialInterval,
			MaxInterval: spec.DefaultMaxInterval, BackoffMultiplier: spec.DefaultBackoffMultiplier}}
}

func openEmulator(tb testing.TB) (*emulator.Emulator, *jobdb.DB) {
	em, db, _ := serveEmulator(tb, emulator.Options{User: "ejops", Password: "bench-pw"})
	return em, db
}

func planFor(tb testing.TB, db *jobdb.DB, d *runner.Desired) *runner.Plan {
	tb.Helper()
	live, err := db.Read(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	p, err := runner.Diff(d, live, runner.Options{Scope: "bench", Now: time.Now()})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func apply(tb testing.TB, db *jobdb.DB, d *runner.Desired) runner.Report {
	tb.Helper()
	rep, err := runner.Apply(context.Background(), db, planFor(tb, db, d), runner.ApplyOptions{LockWait: time.Minute})
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// TestReadIsOneRoundTrip checks the read-once rule with many jobs.
func TestReadIsOneRoundTrip(t *testing.T) {
	em, db := openEmulator(t)
	d := runner.FromSpec(fleet(300))
	apply(t, db, d)
	// Warm the pool so the measured read reuses a logged-in connection.
	if _, err := db.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	em.ResetStats()
	p := planFor(t, db, d)
	if !p.Empty() {
		t.Fatalf("plan after apply has %d changes", len(p.Changes))
	}
	if n := em.Stats().RoundTrips; n != 1 {
		t.Fatalf("reading 300 jobs took %d round trips, want 1", n)
	}
}

// BenchmarkPlan measures read + diff of an unchanged job database of n jobs × 3 steps.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("jobs=%d", n), func(b *testing.B) {
			em, db := openEmulator(b)
			d := runner.FromSpec(fleet(n))
			apply(b, db, d)
			planFor(b, db, d) // log in, so the loop measures reads on an open connection
			em.ResetStats()
			b.ResetTimer()
			for b.Loop() {
				if p := planFor(b, db, d); !p.Empty() {
					b.Fatal("plan not empty")
				}
			}
			b.ReportMetric(float64(em.Stats().RoundTrips)/float64(b.N), "roundtrips/op")
		})
	}
}

// BenchmarkApply measures the apply alone of n jobs × 3 steps into a fresh job database, and its
// requests: starting the emulator, logging in and reading the state for the plan are outside the
// timer.
func BenchmarkApply(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("jobs=%d", n), func(b *testing.B) {
			d := runner.FromSpec(fleet(n))
			var requests int64
			for b.Loop() {
				b.StopTimer()
				em, db := openEmulator(b)
				p := planFor(b, db, d)
				em.ResetStats()
				b.StartTimer()
				_, err := runner.Apply(context.Background(), db, p, runner.ApplyOptions{LockWait: time.Minute})
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				requests += em.Stats().RoundTrips
				db.Close()
				em.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(requests)/float64(b.N), "roundtrips/op")
		})
	}
}
