package jobstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// big fills db with n jobs of three steps each in one transaction.
func big(b testing.TB, db *DB, n int) {
	b.Helper()
	s := db.NewSession()
	defer s.Close()
	ctx := context.Background()
	if err := s.Begin(ctx); err != nil {
		b.Fatal(err)
	}
	mustCall(b, s, "jobs.sp_add_target_group", "target_group_name", "G")
	mustCall(b, s, "jobs.sp_add_target_group_member", "target_group_name", "G", "target_type", "SqlDatabase",
		"server_name", "srv.database.windows.net", "database_name", "db1")
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("job-%05d", i)
		mustCall(b, s, "jobs.sp_add_job", "job_name", name)
		for k := 1; k <= 3; k++ {
			mustCall(b, s, "jobs.sp_add_jobstep", "job_name", name, "step_name", fmt.Sprintf("s%d", k),
				"command", "UPDATE dbo.t SET x = 1 WHERE id = 42;", "target_group_name", "G")
		}
	}
	if err := s.Commit(ctx); err != nil {
		b.Fatal(err)
	}
}

func TestBigDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	db := openTest(t)
	big(t, db, 1000)
	s := db.NewSession()
	eq(t, len(rel(t, s, "jobs.jobs").Rows), 1000)
	eq(t, len(rel(t, s, "jobs.jobsteps").Rows), 3000)
	eq(t, len(rel(t, s, "jobs.jobstep_versions").Rows), 6000)
}

// BenchmarkAddJobStep measures one autocommitted sp_add_jobstep on a database of 10,000 jobs × 3
// steps, in memory and with a state file.
func BenchmarkAddJobStep(b *testing.B) {
	for _, mode := range []string{"memory", "file"} {
		b.Run(mode, func(b *testing.B) {
			opts := Options{}
			if mode == "file" {
				opts.StatePath = filepath.Join(b.TempDir(), "state")
			}
			db, err := Open(opts)
			if err != nil {
				b.Fatal(err)
			}
			big(b, db, 10000)
			s := db.NewSession()
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				job := fmt.Sprintf("job-%05d", i%10000)
				_, err := s.Call(ctx, "jobs.sp_add_jobstep", named("job_name", job, "step_name", fmt.Sprintf("x%d", i),
					"command", "SELECT 1", "target_group_name", "G"))
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadViews10k reads jobs, jobsteps, target groups and members of 10,000 jobs × 3 steps.
func BenchmarkReadViews10k(b *testing.B) {
	db, err := Open(Options{})
	if err != nil {
		b.Fatal(err)
	}
	big(b, db, 10000)
	s := db.NewSession()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, v := range []string{"jobs.jobs", "jobs.jobsteps", "jobs.target_groups", "jobs.target_group_members"} {
			if _, err := s.Relation(v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkOpen10k measures loading the state file of 10,000 jobs × 3 steps.
func BenchmarkOpen10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "state")
	db, err := Open(Options{StatePath: path})
	if err != nil {
		b.Fatal(err)
	}
	big(b, db, 10000)
	db.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db, err := Open(Options{StatePath: path})
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}
