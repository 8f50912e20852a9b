package emulator

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
)

// arg is a procedure argument in a test call.
type arg struct {
	name  string
	value any
}

// caller runs a procedure either as an RPC by name or as an EXEC in a T-SQL batch, and returns
// the OUTPUT parameters' values by name.
type caller func(ctx context.Context, db *sql.DB, proc string, args []arg, outs map[string]string) (map[string]any, error)

// callRPC calls proc through go-mssqldb's RPC-by-name path. outs maps output names to T-SQL types.
func callRPC(ctx context.Context, db *sql.DB, proc string, args []arg, outs map[string]string) (map[string]any, error) {
	var params []any
	for _, a := range args {
		params = append(params, sql.Named(a.name, a.value))
	}
	dests := map[string]any{}
	for name, typ := range outs {
		var d any
		switch typ {
		case "uniqueidentifier":
			d = new(mssql.UniqueIdentifier)
		default:
			d = new(sql.NullInt64)
		}
		dests[name] = d
		params = append(params, sql.Named(name, sql.Out{Dest: d}))
	}
	var rs mssql.ReturnStatus
	params = append(params, &rs)
	if _, err := db.ExecContext(ctx, proc, params...); err != nil {
		return nil, err
	}
	if rs != 0 {
		return nil, fmt.Errorf("return status %d", rs)
	}
	got := map[string]any{}
	for name, d := range dests {
		switch x := d.(type) {
		case *mssql.UniqueIdentifier:
			got[name] = x.String()
		case *sql.NullInt64:
			got[name] = x.Int64
		}
	}
	return got, nil
}

// literal renders a Go value as a T-SQL literal.
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "N'" + strings.ReplaceAll(x, "'", "''") + "'"
	case bool:
		if x {
			return "1"
		}
		return "0"
	case int, int64:
		return fmt.Sprint(x)
	case float64:
		return fmt.Sprint(x)
	case mssql.UniqueIdentifier:
		return "'" + x.String() + "'"
	case time.Time:
		return "'" + x.UTC().Format("2006-01-02T15:04:05.9999999") + "'"
	}
	panic(fmt.Sprintf("literal: unsupported %T", v))
}

// callBatch calls proc with EXEC in a SQL batch, reading OUTPUT values back with a SELECT.
func callBatch(ctx context.Context, db *sql.DB, proc string, args []arg, outs map[string]string) (map[string]any, error) {
	var b strings.Builder
	var names []string
	for name, typ := range outs {
		fmt.Fprintf(&b, "DECLARE @o_%s %s;\n", name, typ)
		names = append(names, name)
	}
	fmt.Fprintf(&b, "DECLARE @rc int;\nEXEC @rc = %s", proc)
	sep := " "
	for _, a := range args {
		fmt.Fprintf(&b, "%s@%s = %s", sep, a.name, literal(a.value))
		sep = ", "
	}
	for _, name := range names {
		fmt.Fprintf(&b, "%s@%s = @o_%s OUTPUT", sep, name, name)
		sep = ", "
	}
	b.WriteString(";\nSELECT @rc AS rc")
	for _, name := range names {
		if outs[name] == "uniqueidentifier" {
			fmt.Fprintf(&b, ", CONVERT(nvarchar(36), @o_%s) AS [%s]", name, name)
		} else {
			fmt.Fprintf(&b, ", @o_%s AS [%s]", name, name)
		}
	}
	rows, err := db.QueryContext(ctx, b.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("no output row")
	}
	vals := make([]any, 1+len(names))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if rc, _ := vals[0].(int64); rc != 0 {
		return nil, fmt.Errorf("return status %d", rc)
	}
	got := map[string]any{}
	for i, name := range names {
		got[name] = vals[i+1]
	}
	return got, nil
}

var callers = map[string]caller{"rpc": callRPC, "batch": callBatch}

func guidArg(t *testing.T, s any) mssql.UniqueIdentifier {
	t.Helper()
	var u mssql.UniqueIdentifier
	if err := u.Scan(fmt.Sprint(s)); err != nil {
		t.Fatalf("parse guid %v: %v", s, err)
	}
	return u
}

// TestProcedures runs every jobs.sp_* procedure's success path, through RPC and through batches.
func TestProcedures(t *testing.T) {
	for mode, call := range callers {
		t.Run(mode, func(t *testing.T) {
			_, db := start(t, Options{})
			ctx := t.Context()
			must := func(proc string, args []arg, outs map[string]string) map[string]any {
				t.Helper()
				got, err := call(ctx, db, proc, args, outs)
				if err != nil {
					t.Fatalf("%s: %v", proc, err)
				}
				return got
			}
			count := func(q string) int {
				t.Helper()
				var n int
				if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return n
			}
			if _, err := db.ExecContext(ctx, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Str0ng!Pass';
				CREATE DATABASE SCOPED CREDENTIAL [job-cred] WITH IDENTITY = 'jobuser', SECRET = 'pw1';`); err != nil {
				t.Fatal(err)
			}
			tg := must("jobs.sp_add_target_group", []arg{{"target_group_name", "tenants"}},
				map[string]string{"target_group_id": "uniqueidentifier"})
			if tg["target_group_id"] == "00000000-0000-0000-0000-000000000000" {
				t.Fatal("no target_group_id")
			}
			must("jobs.sp_add_target_group_member", []arg{{"target_group_name", "tenants"}, {"target_type", "SqlServer"},
				{"server_name", "s1.database.windows.net"}, {"refresh_credential_name", "job-cred"}},
				map[string]string{"target_id": "uniqueidentifier"})
			excl := must("jobs.sp_add_target_group_member", []arg{{"target_group_name", "tenants"}, {"membership_type", "Exclude"},
				{"target_type", "SqlDatabase"}, {"server_name", "s1.database.windows.net"}, {"database_name", "scratch"}},
				map[string]string{"target_id": "uniqueidentifier"})
			if n := count("SELECT COUNT(*) FROM jobs.target_group_members WHERE membership_type = 'Exclude'"); n != 1 {
				t.Fatalf("exclude members = %d", n)
			}
			start := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
			job := must("jobs.sp_add_job", []arg{{"job_name", "nightly"}, {"description", "stats"}, {"enabled", true},
				{"schedule_interval_type", "Days"}, {"schedule_interval_count", 1}, {"schedule_start_time", start}},
				map[string]string{"job_id": "uniqueidentifier"})
			must("jobs.sp_update_job", []arg{{"job_name", "nightly"}, {"description", "stats 2"}}, nil)
			var desc string
			var gotStart time.Time
			var jobID mssql.UniqueIdentifier
			if err := db.QueryRowContext(ctx, "SELECT description, schedule_start_time, job_id FROM jobs.jobs WHERE job_name = 'NIGHTLY'").
				Scan(&desc, &gotStart, &jobID); err != nil {
				t.Fatal(err)
			}
			if desc != "stats 2" || !gotStart.Equal(start) || jobID.String() != job["job_id"] {
				t.Fatalf("job row = %q %v %v, want stats 2 %v %v", desc, gotStart, jobID, start, job["job_id"])
			}
			v := must("jobs.sp_add_jobstep", []arg{{"job_name", "nightly"}, {"step_name", "one"}, {"command", "SELECT 1;"},
				{"target_group_name", "tenants"}, {"credential_name", "job-cred"}},
				map[string]string{"job_version": "int", "step_id": "int"})
			if v["job_version"] != int64(1) || v["step_id"] != int64(1) {
				t.Fatalf("add step 1 outputs = %v", v)
			}
			v = must("jobs.sp_add_jobstep", []arg{{"job_name", "nightly"}, {"step_name", "two"}, {"command", "SELECT 2;"},
				{"target_group_name", "tenants"}, {"retry_attempts", 3}, {"max_parallelism", 4}},
				map[string]string{"job_version": "int"})
			if v["job_version"] != int64(2) {
				t.Fatalf("add step 2 outputs = %v", v)
			}
			v = must("jobs.sp_update_jobstep", []arg{{"job_name", "nightly"}, {"step_name", "two"}, {"new_id", 1}},
				map[string]string{"job_version": "int"})
			if v["job_version"] != int64(3) {
				t.Fatalf("update step outputs = %v", v)
			}
			var first string
			if err := db.QueryRowContext(ctx, `SELECT TOP (1) s.step_name FROM jobs.jobsteps s WHERE s.job_name = 'nightly' ORDER BY s.step_id`).
				Scan(&first); err != nil || first != "two" {
				t.Fatalf("first step = %q, %v", first, err)
			}
			ex := must("jobs.sp_start_job", []arg{{"job_name", "nightly"}}, map[string]string{"job_execution_id": "uniqueidentifier"})
			if n := count("SELECT COUNT(*) FROM jobs.job_executions WHERE job_execution_id = '" + ex["job_execution_id"].(string) + "'"); n != 1 {
				t.Fatalf("executions with the new id = %d", n)
			}
			must("jobs.sp_stop_job", []arg{{"job_execution_id", guidArg(t, ex["job_execution_id"])}}, nil)
			v = must("jobs.sp_delete_jobstep", []arg{{"job_name", "nightly"}, {"step_name", "one"}}, map[string]string{"job_version": "int"})
			if v["job_version"] != int64(4) {
				t.Fatalf("delete step outputs = %v", v)
			}
			must("jobs.sp_purge_jobhistory", []arg{{"job_name", "nightly"}, {"oldest_date", time.Now().UTC().Add(time.Hour)}}, nil)
			must("jobs.sp_delete_target_group_member", []arg{{"target_group_name", "tenants"}, {"target_id", guidArg(t, excl["target_id"])}}, nil)
			must("jobs.sp_delete_job", []arg{{"job_name", "nightly"}, {"force", true}}, nil)
			must("jobs.sp_delete_target_group", []arg{{"target_group_name", "tenants"}}, nil)
			if n := count("SELECT COUNT(*) FROM jobs.jobs") + count("SELECT COUNT(*) FROM jobs.target_groups"); n != 0 {
				t.Fatalf("jobs and groups left = %d", n)
			}
			if n := count("SELECT COUNT(*) FROM jobs.job_versions WHERE job_name = 'nightly'"); n != 0 {
				t.Fatalf("versions of a deleted job = %d", n)
			}
		})
	}
}

// TestProcedureErrors checks documented errors through both call paths.
func TestProcedureErrors(t *testing.T) {
	cases := []struct {
		name   string
		setup  string
		proc   string
		args   []arg
		outs   map[string]string
		number int32
		msg    string
	}{
		{name: "job not found", proc: "jobs.sp_update_job", args: []arg{{"job_name", "nope"}, {"enabled", true}},
			number: 50000, msg: "Job 'nope' was not found"},
		{name: "missing parameter", proc: "jobs.sp_add_job", args: []arg{{"description", "x"}},
			number: 201, msg: "Procedure or function 'sp_add_job' expects parameter '@job_name', which was not supplied."},
		{name: "unknown parameter", proc: "jobs.sp_add_job", args: []arg{{"job_name", "a"}, {"colour", "red"}},
			number: 8145, msg: "@colour is not a parameter for procedure sp_add_job."},
		{name: "output on input parameter", setup: "EXEC jobs.sp_add_target_group 'g'", proc: "jobs.sp_delete_target_group",
			args: []arg{{"target_group_name", "g"}}, outs: map[string]string{"force": "bit"}, number: 8162,
			msg: "The formal parameter \"@force\" was not declared as an OUTPUT parameter, but the actual parameter passed in requested output."},
		{name: "unknown procedure", proc: "jobs.sp_add_jobs", args: []arg{{"job_name", "a"}},
			number: 2812, msg: "Could not find stored procedure 'jobs.sp_add_jobs'."},
		{name: "duplicate job", setup: "EXEC jobs.sp_add_job @job_name = 'dup'", proc: "jobs.sp_add_job",
			args: []arg{{"job_name", "DUP"}}, number: 2601},
		{name: "duplicate target group", setup: "EXEC jobs.sp_add_target_group 'g'", proc: "jobs.sp_add_target_group",
			args: []arg{{"target_group_name", "g"}}, number: 50000, msg: "Target group 'g' already exists."},
		{name: "start without steps", setup: "EXEC jobs.sp_add_job @job_name = 'empty'", proc: "jobs.sp_start_job",
			args: []arg{{"job_name", "empty"}}, number: 50000, msg: "Job 'empty' contains no steps."},
		{name: "step id out of range", setup: "EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_job 'j'", proc: "jobs.sp_add_jobstep",
			args:   []arg{{"job_name", "j"}, {"step_id", 5}, {"command", "x"}, {"target_group_name", "g"}},
			number: 50000, msg: "Invalid value for @step_id: '5'. @step_id must be greater than or equal to 1 and less than or equal to '1'."},
		{name: "target group not found", setup: "EXEC jobs.sp_add_job 'j'", proc: "jobs.sp_add_jobstep",
			args:   []arg{{"job_name", "j"}, {"command", "x"}, {"target_group_name", "nope"}},
			number: 50000, msg: "Target Group 'nope' not found"},
		{name: "credential not found", setup: "EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_job 'j'", proc: "jobs.sp_add_jobstep",
			args:   []arg{{"job_name", "j"}, {"command", "x"}, {"target_group_name", "g"}, {"credential_name", "nope"}},
			number: 50000, msg: "Cannot reference the credential 'nope', because it does not exist or you do not have permission."},
		{name: "member without database", setup: "EXEC jobs.sp_add_target_group 'g'", proc: "jobs.sp_add_target_group_member",
			args:   []arg{{"target_group_name", "g"}, {"target_type", "SqlDatabase"}, {"server_name", "s"}},
			number: 50000, msg: "Target type 'SqlDatabase' requires server name and database name properties to be specified."},
		{name: "step id and name", setup: "EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_job 'j'; EXEC jobs.sp_add_jobstep 'j', @command = 'x', @target_group_name = 'g'",
			proc: "jobs.sp_update_jobstep", args: []arg{{"job_name", "j"}, {"step_id", 1}, {"step_name", "JobStep"}},
			number: 50000, msg: "@step_id and @step_name cannot both be specified."},
		{name: "group in use", setup: "EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_job 'j'; EXEC jobs.sp_add_jobstep 'j', @step_name = 's', @command = 'x', @target_group_name = 'g'",
			proc: "jobs.sp_delete_target_group", args: []arg{{"target_group_name", "g"}},
			number: 50000, msg: "The target group 'g' cannot be deleted because it is referenced by job 'j' step 's' and 0 other job step(s)."},
		{name: "bad interval type", proc: "jobs.sp_add_job", args: []arg{{"job_name", "x"}, {"schedule_interval_type", "Fortnights"}},
			number: 547},
	}
	for mode, call := range callers {
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				_, db := start(t, Options{})
				ctx := t.Context()
				if tc.setup != "" {
					if _, err := db.ExecContext(ctx, tc.setup); err != nil {
						t.Fatal(err)
					}
				}
				_, err := call(ctx, db, tc.proc, tc.args, tc.outs)
				wantErr(t, err, tc.number, tc.msg)
			})
		}
	}
}
