package emulator

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkAddJobStepRPC measures sp_add_jobstep round trips over TCP, ten steps per job.
func BenchmarkAddJobStepRPC(b *testing.B) {
	_, db := start(b, Options{})
	ctx := b.Context()
	if _, err := db.ExecContext(ctx, "EXEC jobs.sp_add_target_group 'g'"); err != nil {
		b.Fatal(err)
	}
	const perJob = 10
	var sb strings.Builder
	for j := 0; j <= b.N/perJob; j++ {
		fmt.Fprintf(&sb, "EXEC jobs.sp_add_job @job_name = 'job%d';\n", j)
	}
	if _, err := db.ExecContext(ctx, sb.String()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		var v sql.NullInt64
		if _, err := db.ExecContext(ctx, "jobs.sp_add_jobstep", sql.Named("job_name", fmt.Sprintf("job%d", i/perJob)),
			sql.Named("step_name", fmt.Sprintf("s%d", i%perJob)), sql.Named("command", "SELECT 1;"),
			sql.Named("target_group_name", "g"), sql.Named("job_version", sql.Out{Dest: &v})); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkReadViews10k reads every view of a job database holding 10,000 jobs of three steps
// each, in one batch, through go-mssqldb.
func BenchmarkReadViews10k(b *testing.B) {
	_, db := start(b, Options{})
	ctx := b.Context()
	var sb strings.Builder
	sb.WriteString("EXEC jobs.sp_add_target_group 'g';\nEXEC jobs.sp_add_target_group_member 'g', @target_type = 'SqlDatabase', @server_name = 's', @database_name = 'd';\n")
	const jobs = 10000
	for j := range jobs {
		fmt.Fprintf(&sb, "EXEC jobs.sp_add_job @job_name = 'job%05d', @description = 'benchmark job';\n", j)
		for s := range 3 {
			fmt.Fprintf(&sb, "EXEC jobs.sp_add_jobstep @job_name = 'job%05d', @step_name = 'step%d', @command = N'EXEC dbo.work %d;', @target_group_name = 'g';\n", j, s, s)
		}
		if j%1000 == 999 {
			if _, err := db.ExecContext(ctx, sb.String()); err != nil {
				b.Fatal(err)
			}
			sb.Reset()
		}
	}
	if _, err := db.ExecContext(ctx, sb.String()); err != nil {
		b.Fatal(err)
	}
	const read = `SELECT * FROM jobs.jobs; SELECT * FROM jobs.job_versions; SELECT * FROM jobs.jobsteps;
		SELECT * FROM jobs.jobstep_versions; SELECT * FROM jobs.target_groups; SELECT * FROM jobs.target_group_members;
		SELECT * FROM jobs.job_executions; SELECT name, credential_identity FROM sys.database_scoped_credentials;`
	b.ResetTimer()
	for range b.N {
		rows, err := db.QueryContext(ctx, read)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			cols, err := rows.Columns()
			if err != nil {
				b.Fatal(err)
			}
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if !rows.NextResultSet() {
				break
			}
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		if want := jobs + jobs*3 + jobs*3 + jobs*6 + 1 + 1; n != want {
			b.Fatalf("read %d rows, want %d", n, want)
		}
	}
}
