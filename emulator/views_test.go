package emulator

import (
	"fmt"
	"strings"
	"testing"
)

// TestViewColumns checks every view's column names and types as go-mssqldb reports them.
// Alternatives (A|B) cover the type the emulator's value model folds: the job database's
// varchar(7) column travels as nvarchar.
func TestViewColumns(t *testing.T) {
	const (
		nv   = "NVARCHAR"
		guid = "UNIQUEIDENTIFIER"
		i4   = "INT"
		bit  = "BIT"
		dt2  = "DATETIME2"
	)
	steps := "job_name nv, job_id guid, job_version i4, step_id i4, step_name nv, command_type nv, command_source nv, " +
		"command nv, credential_name nv, target_group_name nv, target_group_id guid, initial_retry_interval_seconds i4, " +
		"maximum_retry_interval_seconds i4, retry_interval_backoff_multiplier REAL, retry_attempts i4, " +
		"step_timeout_seconds i4, output_type nv, output_credential_name nv, output_subscription_id guid, " +
		"output_resource_group_name nv, output_server_name nv, output_database_name nv, output_schema_name nv, " +
		"output_table_name nv, max_parallelism i4"
	views := map[string]string{
		"jobs.jobs": "job_name nv, job_id guid, job_version i4, description nv, enabled bit, schedule_interval_type nv, " +
			"schedule_interval_count i4, schedule_start_time dt2, schedule_end_time dt2",
		"jobs.job_versions":     "job_name nv, job_id guid, job_version i4",
		"jobs.jobsteps":         steps,
		"jobs.jobstep_versions": steps,
		"jobs.target_groups":    "target_group_name nv, target_group_id guid",
		"jobs.target_group_members": "target_group_name nv, target_group_id guid, membership_type VARCHAR|NVARCHAR, target_type nv, " +
			"target_id guid, refresh_credential_name nv, subscription_id guid, resource_group_name nv, server_name nv, " +
			"database_name nv, elastic_pool_name nv, shard_map_name nv",
		"jobs.job_executions": "job_execution_id guid, job_name nv, job_id guid, job_version i4, step_name nv, step_id i4, " +
			"is_active bit, lifecycle nv, create_time dt2, start_time dt2, end_time dt2, current_attempts i4, " +
			"current_attempt_start_time dt2, next_attempt_start_time dt2, last_message nv, target_type nv, target_id guid, " +
			"target_group_name nv, target_server_name nv, target_database_name nv, target_subscription_id guid, " +
			"target_resource_group_name nv, target_elastic_pool_name nv",
		"sys.database_scoped_credentials": "name nv, credential_id i4, principal_id i4, credential_identity nv, " +
			"create_date DATETIME, modify_date DATETIME, target_type nv, target_id i4",
	}
	abbrev := strings.NewReplacer("nv", nv, "guid", guid, "i4", i4, "bit", bit, "dt2", dt2)
	_, db := start(t, Options{})
	for view, spec := range views {
		t.Run(view, func(t *testing.T) {
			rows, err := db.QueryContext(t.Context(), "SELECT * FROM "+view)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cts, err := rows.ColumnTypes()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ct := range cts {
				got = append(got, ct.Name()+" "+ct.DatabaseTypeName())
			}
			var want []string
			for _, c := range strings.Split(spec, ", ") {
				name, typ, _ := strings.Cut(c, " ")
				if typ == "nv" || typ == "guid" || typ == "i4" || typ == "bit" || typ == "dt2" {
					typ = abbrev.Replace(typ)
				}
				want = append(want, name+" "+typ)
			}
			match := len(got) == len(want)
			for i := 0; match && i < len(got); i++ {
				name, typ, _ := strings.Cut(want[i], " ")
				match = false
				for _, alt := range strings.Split(typ, "|") {
					if got[i] == name+" "+alt {
						match = true
					}
				}
			}
			if !match {
				t.Errorf("columns mismatch\n got: %s\nwant: %s", strings.Join(got, ", "), strings.Join(want, ", "))
			}
		})
	}
}

// TestReadOnce reads the whole job database in one batch of several result sets, with the
// guarded read of a table that may not exist yet.
func TestReadOnce(t *testing.T) {
	e, db := start(t, Options{})
	ctx := t.Context()
	const read = `SET NOCOUNT ON;
SELECT SCHEMA_ID(N'ejops') AS schema_id, OBJECT_ID(N'ejops.inventory') AS object_id;
SELECT target_group_name, CAST(target_id AS nvarchar(36)) AS target_id, membership_type FROM jobs.target_group_members ORDER BY target_group_name;
SELECT j.job_name, s.step_id, s.step_name FROM jobs.jobs j JOIN jobs.jobsteps s ON s.job_id = j.job_id AND s.job_version = j.job_version ORDER BY j.job_name, s.step_id;
IF OBJECT_ID(N'ejops.inventory') IS NOT NULL SELECT scope, name, applied_at FROM ejops.inventory ORDER BY scope, name;`
	sets := func() []int {
		t.Helper()
		e.ResetStats()
		rows, err := db.QueryContext(ctx, read)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var counts []int
		for {
			n := 0
			for rows.Next() {
				n++
			}
			counts = append(counts, n)
			if !rows.NextResultSet() {
				break
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if rt := e.Stats().RoundTrips; rt != 1 {
			t.Fatalf("round trips = %d, want 1", rt)
		}
		return counts
	}
	if got := fmt.Sprint(sets()); got != "[1 0 0]" {
		t.Fatalf("empty database: result set sizes %s", got)
	}
	for _, q := range []string{
		"CREATE SCHEMA ejops",
		"CREATE TABLE ejops.inventory (scope nvarchar(128) NOT NULL, name nvarchar(128) NOT NULL, applied_at datetime2 NOT NULL, PRIMARY KEY (scope, name))",
		"INSERT INTO ejops.inventory (scope, name, applied_at) VALUES (N'default', N'a', SYSUTCDATETIME()), (N'default', N'b', SYSUTCDATETIME())",
		"EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_target_group_member 'g', @target_type = 'SqlDatabase', @server_name = 's', @database_name = 'd'",
		"EXEC jobs.sp_add_job 'j'; EXEC jobs.sp_add_jobstep 'j', @command = 'x', @target_group_name = 'g'; EXEC jobs.sp_add_jobstep 'j', @step_name = 's2', @command = 'y', @target_group_name = 'g'",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if got := fmt.Sprint(sets()); got != "[1 1 2 2]" {
		t.Fatalf("result set sizes %s, want [1 1 2 2]", got)
	}
}
