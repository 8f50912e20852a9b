package agent

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ejops/ejops/emulator/internal/jobstore"
)

// BenchmarkHistory10k queries jobs.job_executions through go-mssqldb over TCP when it holds
// 10,000 job executions (root, step and target rows: 30,000 rows) of 10 jobs.
func BenchmarkHistory10k(b *testing.B) {
	s := newStack(b, nil)
	s.group("g", "Include SqlDatabase s d")
	for j := range 10 {
		s.job(fmt.Sprintf("hist-%d", j), "one g")
	}
	ctx := context.Background()
	sess := s.db.NewSession()
	for i := range 10000 {
		if _, err := sess.Call(ctx, "jobs.sp_start_job", []jobstore.Arg{{Name: "job_name", Value: fmt.Sprintf("hist-%d", i%10)}}); err != nil {
			b.Fatal(err)
		}
		if i%100 == 99 {
			if err := s.agent.Step(ctx); err != nil {
				b.Fatal(err)
			}
			s.clock.Advance(time.Minute)
		}
	}
	sess.Close()
	if n := s.count("SELECT COUNT(*) FROM jobs.job_executions WHERE step_id IS NULL AND lifecycle = N'Succeeded'"); n != 10000 {
		b.Fatalf("%d succeeded executions, want 10000", n)
	}
	var last string
	b.Run("last20", func(b *testing.B) {
		for b.Loop() {
			rows, err := s.sql.QueryContext(ctx, `SELECT TOP (20) job_execution_id, lifecycle, create_time, end_time
				FROM jobs.job_executions WHERE job_name = @p1 AND step_id IS NULL ORDER BY create_time DESC`, "hist-7")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var id mssql.UniqueIdentifier
				var life string
				var c, e time.Time
				if err := rows.Scan(&id, &life, &c, &e); err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					last = id.String()
				}
				n++
			}
			rows.Close()
			if n != 20 {
				b.Fatalf("%d rows", n)
			}
		}
	})
	b.Run("tree", func(b *testing.B) {
		for b.Loop() {
			rows, err := s.sql.QueryContext(ctx, "SELECT "+execCols+" FROM jobs.job_executions WHERE job_execution_id = @p1", last)
			if got := scanExecs(b, rows, err); len(got) != 3 {
				b.Fatalf("%d rows", len(got))
			}
		}
	})
	// What the agent costs per tick when nothing is running, over this history.
	b.Run("idle-step", func(b *testing.B) {
		for b.Loop() {
			if err := s.agent.Step(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// newPersistedStack is newStack with the job database persisted to a state file in a temporary
// directory.
func newPersistedStack(b testing.TB, fleet *Fleet) *stack {
	b.Helper()
	return newStackWith(b, fleet, jobstore.Options{StatePath: filepath.Join(b.TempDir(), "jobdb.state")})
}

// BenchmarkRunPersisted runs one job over a server of 500 databases (varying durations, some
// failing once and retried) with the job database persisted to a state file, from sp_start_job to
// the end of the run.
func BenchmarkRunPersisted(b *testing.B) {
	var dbs []Database
	for i := range 500 {
		d := Database{Name: fmt.Sprintf("db%03d", i), Duration: time.Duration(1+i%20) * time.Second}
		if i%20 == 7 {
			d.Failure = &Failure{Message: "deadlock", Number: 1205, Attempts: 1}
		}
		dbs = append(dbs, d)
	}
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: dbs}}}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s := newPersistedStack(b, f)
		s.group("g", "Include SqlServer s")
		s.job("j", "one g @initial_retry_interval_seconds = 1")
		id := s.start("j")
		b.StartTimer()
		if err := s.agent.Advance(ctx, time.Minute); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if r := root(s.tree(id)); r.Lifecycle != "Succeeded" {
			b.Fatalf("run = %s", r)
		}
		b.StartTimer()
	}
}
