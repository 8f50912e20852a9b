package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/agent"
	mssql "github.com/microsoft/go-mssqldb"
)

// arg is a procedure argument in a test call; an empty name passes it by position.
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
		if a.name == "" {
			params = append(params, a.value)
			continue
		}
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
		if a.name == "" {
			fmt.Fprintf(&b, "%s%s", sep, literal(a.value))
		} else {
			fmt.Fprintf(&b, "%s@%s = %s", sep, a.name, literal(a.value))
		}
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

// mssqlGUID parses a GUID constant.
func mssqlGUID(s string) mssql.UniqueIdentifier {
	var u mssql.UniqueIdentifier
	if err := u.Scan(s); err != nil {
		panic(err)
	}
	return u
}

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

// TestProcedureErrors checks documented errors through both call paths. A case with stmt runs a
// statement instead of a procedure: as a batch, or through sp_executesql on the RPC path.
func TestProcedureErrors(t *testing.T) {
	const (
		group   = "EXEC jobs.sp_add_target_group 'g'; "
		job     = group + "EXEC jobs.sp_add_job 'j'; "
		step    = job + "EXEC jobs.sp_add_jobstep 'j', @step_name = 's', @command = 'x', @target_group_name = 'g'; "
		execID  = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
		pool    = "SqlElasticPool"
		shard   = "SqlShardMap"
		jobsDB  = "jobs_internal.jobs"
		stepTbl = "jobs_internal.jobstep_data"
	)
	check := func(stmt, constraint, table, column string) string {
		msg := fmt.Sprintf("The %s statement conflicted with the CHECK constraint \"%s\". The conflict occurred in database \"jobdb\", table \"%s\"", stmt, constraint, table)
		if column != "" {
			msg += ", column '" + column + "'"
		}
		return msg + "."
	}
	stepArgs := func(extra ...arg) []arg {
		return append([]arg{{"job_name", "j"}, {"command", "x"}, {"target_group_name", "g"}}, extra...)
	}
	member := func(extra ...arg) []arg {
		return append([]arg{{"target_group_name", "g"}}, extra...)
	}
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		setup  string
		stmt   string
		proc   string
		args   []arg
		outs   map[string]string
		number int32
		msg    string
		like   string // a regular expression the message must match, instead of msg
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
			number: 547, msg: check("INSERT", "CK_job_schedule_interval_type", jobsDB, "schedule_interval_type")},

		// sp_add_jobstep and sp_update_jobstep.
		{name: "duplicate step name", setup: step, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"step_name", "S"}),
			number: 50000, msg: "A step with name 'S' (step id '1') already exists for the job 'j'."},
		{name: "command source", setup: job, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"command_source", "File"}),
			number: 50000, msg: "Invalid value for @command_source: 'File'"},
		{name: "output type", setup: job, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"output_type", "Table"}),
			number: 50000, msg: "Invalid value for @output_type: 'Table'. Only NULL or 'SqlDatabase' are supported."},
		{name: "new id out of range", setup: step, proc: "jobs.sp_update_jobstep", args: []arg{{"job_name", "j"}, {"step_id", 1}, {"new_id", 3}},
			number: 50000, msg: "Invalid value for @new_id: '3'. @new_id must be greater than or equal to 1 and less than or equal to '1'."},
		{name: "add max parallelism", setup: job, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"max_parallelism", 0}),
			number: 50000, msg: "Invalid value for @max_parallelism: '0'. @max_parallelism must be NULL or greater than or equal to 1."},
		{name: "update max parallelism", setup: step, proc: "jobs.sp_update_jobstep", args: []arg{{"job_name", "j"}, {"step_id", 1}, {"max_parallelism", -2}},
			number: 50000, msg: "Invalid value for @max_parallelism: '-2'. @max_parallelism must be NULL (indicating no change), -1 (meaning that it will be set to NULL), or greater than or equal to 1."},
		{name: "unnamed later step", setup: step, proc: "jobs.sp_add_jobstep", args: stepArgs(),
			number: 50000, msg: "@step_name may only be NULL for the first job step."},
		{name: "neither step id nor name", setup: step, proc: "jobs.sp_update_jobstep", args: []arg{{"job_name", "j"}, {"command", "y"}},
			number: 50000, msg: "@step_id or @step_name (but not both) must be specified."},
		{name: "step name not found", setup: step, proc: "jobs.sp_update_jobstep", args: []arg{{"job_name", "j"}, {"step_name", "nope"}, {"command", "y"}},
			number: 50000, msg: "Step name 'nope' was not found"},
		{name: "step id not found", setup: step, proc: "jobs.sp_delete_jobstep", args: []arg{{"job_name", "j"}, {"step_id", 5}},
			number: 50000, msg: "Step '5' was not found"},
		{name: "output credential not found", setup: job, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"output_type", "SqlDatabase"},
			arg{"output_credential_name", "nope"}, arg{"output_server_name", "s"}, arg{"output_database_name", "d"}, arg{"output_table_name", "t"}),
			number: 50000, msg: "Cannot reference the credential 'nope', because it does not exist or you do not have permission."},

		// Executions.
		{name: "delete job with active executions", setup: step + "EXEC jobs.sp_start_job 'j'", proc: "jobs.sp_delete_job", args: []arg{{"job_name", "j"}},
			number: 50000, msg: "The job could not be deleted because there are active job executions. In order to force deletion of this job and cancel its active executions, specify `@force=1`."},
		{name: "duplicate execution id", setup: step + "DECLARE @e uniqueidentifier = '" + execID + "'; EXEC jobs.sp_start_job 'j', @e OUTPUT",
			proc: "jobs.sp_start_job", args: []arg{{"job_name", "j"}, {"job_execution_id", mssqlGUID(execID)}},
			number: 50000, msg: "Job Execution with id '" + execID + "' already exists."},
		{name: "stop unknown execution", proc: "jobs.sp_stop_job", args: []arg{{"job_execution_id", mssqlGUID(execID)}},
			number: 547, msg: "The INSERT statement conflicted with the FOREIGN KEY constraint \"FK_job_cancellations_job_executions\". The conflict occurred in database \"jobdb\", table \"jobs_internal.job_executions\", column 'job_execution_id'."},

		// Target groups and members.
		{name: "invalid target type", setup: group, proc: "jobs.sp_add_target_group_member", args: member(arg{"target_type", "SqlCluster"}, arg{"server_name", "s"}),
			number: 50000, msg: "Target type 'SqlCluster' is invalid."},
		{name: "database with pool", setup: group, proc: "jobs.sp_add_target_group_member",
			args:   member(arg{"target_type", "SqlDatabase"}, arg{"server_name", "s"}, arg{"database_name", "d"}, arg{"elastic_pool_name", "p"}),
			number: 50000, msg: "Target type 'SqlDatabase' does not support the refresh credential, elastic pool name, or shard map name property."},
		{name: "server without name", setup: group, proc: "jobs.sp_add_target_group_member", args: member(arg{"target_type", "SqlServer"}),
			number: 50000, msg: "Target type 'SqlServer' requires server name and refresh credential name properties to be specified."},
		{name: "server with database", setup: group, proc: "jobs.sp_add_target_group_member",
			args:   member(arg{"target_type", "SqlServer"}, arg{"server_name", "s"}, arg{"database_name", "d"}),
			number: 50000, msg: "Target type 'SqlServer' does not support the database name, elastic pool name, or shard map name property."},
		{name: "pool without pool name", setup: group, proc: "jobs.sp_add_target_group_member", args: member(arg{"target_type", pool}, arg{"server_name", "s"}),
			number: 50000, msg: "Target type 'SqlElasticPool' requires server name, elastic pool name, and refresh credential name properties to be specified."},
		{name: "pool with database", setup: group, proc: "jobs.sp_add_target_group_member",
			args:   member(arg{"target_type", pool}, arg{"server_name", "s"}, arg{"elastic_pool_name", "p"}, arg{"database_name", "d"}),
			number: 50000, msg: "Target type 'SqlElasticPool' does not support the database name or shard map name property."},
		{name: "shard map incomplete", setup: group, proc: "jobs.sp_add_target_group_member",
			args:   member(arg{"target_type", shard}, arg{"server_name", "s"}, arg{"database_name", "d"}),
			number: 50000, msg: "Target type 'SqlShardMap' requires server name, database name, shard map name, and refresh credential name properties to be specified."},
		{name: "shard map with pool", setup: group, proc: "jobs.sp_add_target_group_member",
			args: member(arg{"target_type", shard}, arg{"server_name", "s"}, arg{"database_name", "d"}, arg{"shard_map_name", "m"},
				arg{"refresh_credential_name", "c"}, arg{"elastic_pool_name", "p"}),
			number: 50000, msg: "Target type 'SqlShardMap' does not support the elastic pool name property."},
		{name: "refresh credential not found", setup: group, proc: "jobs.sp_add_target_group_member",
			args:   member(arg{"target_type", "SqlServer"}, arg{"server_name", "s"}, arg{"refresh_credential_name", "nope"}),
			number: 50000, msg: "Cannot reference the credential(s) 'nope', because they do not exist or you do not have permission."},
		{name: "member already belongs", setup: group + "EXEC jobs.sp_add_target_group_member 'g', @target_type = 'SqlServer', @server_name = 's'",
			proc: "jobs.sp_add_target_group_member", args: member(arg{"target_type", "sqlserver"}, arg{"server_name", "s"}),
			number: 50000, like: `^Target group member '[0-9A-F-]{36}' already belongs to 'g'\.$`},
		{name: "member not found", setup: group, proc: "jobs.sp_delete_target_group_member", args: member(arg{"target_id", mssqlGUID(execID)}),
			number: 50000, msg: "Target with target_id '" + execID + "' was not found as a member of target group 'g'"},
		{name: "member of unknown group", proc: "jobs.sp_add_target_group_member", args: []arg{{"target_group_name", "nope"}, {"target_type", "SqlServer"}, {"server_name", "s"}},
			number: 50000, msg: "Target group 'nope' does not exist."},
		{name: "delete unknown group", proc: "jobs.sp_delete_target_group", args: []arg{{"target_group_name", "nope"}},
			number: 50000, msg: "The target group 'nope' was not found."},

		// sp_purge_jobhistory.
		{name: "purge by name and id", setup: job, proc: "jobs.sp_purge_jobhistory", args: []arg{{"job_name", "j"}, {"job_id", mssqlGUID(execID)}},
			number: 50000, msg: "@job_name and @job_id parameters cannot both be specified"},
		{name: "purge without a job", proc: "jobs.sp_purge_jobhistory", args: []arg{{"oldest_date", t0}},
			number: 50000, msg: "@job_name or @job_id (and not both) must be specified."},

		// CHECK constraints of the model's tables.
		{name: "start after end", proc: "jobs.sp_add_job", args: []arg{{"job_name", "x"}, {"schedule_start_time", t0}, {"schedule_end_time", t0.Add(-time.Hour)}},
			number: 547, msg: check("INSERT", "CK_job_schedule_start_time_end_time_ordered", jobsDB, "")},
		{name: "interval count zero", setup: job, proc: "jobs.sp_update_job", args: []arg{{"job_name", "j"}, {"schedule_interval_type", "Days"}, {"schedule_interval_count", 0}},
			number: 547, msg: check("UPDATE", "CK_job_schedule_interval_count", jobsDB, "schedule_interval_count")},
		{name: "negative initial retry", setup: job, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"initial_retry_interval_seconds", -1}),
			number: 547, msg: check("INSERT", "CK_jobstep_data_initial_retry_interval", stepTbl, "initial_retry_interval")},
		{name: "initial retry above maximum", setup: job, proc: "jobs.sp_add_jobstep",
			args:   stepArgs(arg{"initial_retry_interval_seconds", 60}, arg{"maximum_retry_interval_seconds", 30}),
			number: 547, msg: check("INSERT", "CK_jobstep_data_retry_interval_ordered", stepTbl, "")},
		{name: "negative retry attempts", setup: job, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"retry_attempts", -1}),
			number: 547, msg: check("INSERT", "CK_jobstep_data_retry_attempts", stepTbl, "retry_attempts")},
		{name: "backoff below one", setup: job, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"retry_interval_backoff_multiplier", 0.5}),
			number: 547, msg: check("INSERT", "CK_jobstep_data_retry_interval_backoff_multiplier", stepTbl, "retry_interval_backoff_multiplier")},
		{name: "zero timeout", setup: job, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"step_timeout_seconds", 0}),
			number: 547, msg: check("INSERT", "CK_jobstep_data_step_timeout", stepTbl, "step_timeout")},
		{name: "output table without type", setup: job, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"output_table_name", "t"}),
			number: 547, msg: check("INSERT", "CK_jobstep_data_result_set_destination", stepTbl, "")},

		// Binding and statement errors.
		{name: "null job name", proc: "jobs.sp_add_job", args: []arg{{"job_name", nil}},
			number: 515, msg: "Cannot insert the value NULL into column 'name', table 'jobdb.jobs_internal.jobs'; column does not allow nulls. INSERT fails."},
		{name: "too many arguments", proc: "jobs.sp_add_target_group", args: []arg{{"", "g"}, {"", nil}, {"", "extra"}},
			number: 8144, msg: "Procedure or function sp_add_target_group has too many arguments specified."},
		{name: "credential without master key", stmt: "CREATE DATABASE SCOPED CREDENTIAL c WITH IDENTITY = 'i', SECRET = 's'",
			number: 15581, msg: "Please create a master key in the database or open the master key in the session before performing this operation."},
	}
	for mode, call := range callers {
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				// A clock that never moves keeps the agent away from started executions.
				_, db := start(t, Options{Clock: agent.NewFakeClock(t0)})
				ctx := t.Context()
				if tc.setup != "" {
					if _, err := db.ExecContext(ctx, tc.setup); err != nil {
						t.Fatal(err)
					}
				}
				var err error
				switch {
				case tc.stmt != "" && mode == "rpc":
					_, err = db.ExecContext(ctx, tc.stmt, sql.Named("unused", 1)) // sent through sp_executesql
				case tc.stmt != "":
					_, err = db.ExecContext(ctx, tc.stmt)
				default:
					_, err = call(ctx, db, tc.proc, tc.args, tc.outs)
				}
				if tc.like != "" {
					if n, m, _ := sqlErr(err); n != tc.number || !regexp.MustCompile(tc.like).MatchString(m) {
						t.Fatalf("error = %v (number %d), want %d matching %s", err, n, tc.number, tc.like)
					}
					return
				}
				wantErr(t, err, tc.number, tc.msg)
			})
		}
	}
}

// TestStatementErrorsContinue checks that, with XACT_ABORT OFF, a constraint error ends only its
// statement: go-mssqldb reports it, and the statements after it run.
func TestStatementErrorsContinue(t *testing.T) {
	_, db := start(t, Options{})
	ctx := t.Context()
	count := func() int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM dbo.k").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE dbo.k (a int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	_, err := db.ExecContext(ctx, "insert dbo.k values (5);\ninsert dbo.k values (5);\ninsert dbo.k values (6)")
	wantErr(t, err, 2627, "Violation of PRIMARY KEY constraint 'PK_k'. Cannot insert duplicate key in object 'dbo.k'. The duplicate key value is (5).")
	if _, _, line := sqlErr(err); line != 2 {
		t.Fatalf("error line = %d, want 2", line)
	}
	if n := count(); n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
	// A query sees the error where it happened: before the result set that follows it.
	rows, err := db.QueryContext(ctx, "insert dbo.k values (5);\nselect a from dbo.k")
	if err == nil {
		rows.Close()
		t.Fatal("the query did not return the failed statement's error")
	}
	wantErr(t, err, 2627, "")

	// The transaction stays open and the COMMIT at the end of the batch runs.
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN TRAN; INSERT dbo.k VALUES (7); INSERT dbo.k VALUES (NULL); INSERT dbo.k VALUES (8); COMMIT")
	wantErr(t, err, 515, "")
	var tc int
	if err := conn.QueryRowContext(ctx, "SELECT @@TRANCOUNT").Scan(&tc); err != nil || tc != 0 {
		t.Fatalf("@@TRANCOUNT = %d, %v; want 0", tc, err)
	}
	if n := count(); n != 4 {
		t.Fatalf("rows after the committed transaction = %d, want 4", n)
	}

	// With XACT_ABORT ON the same error aborts the batch and rolls the transaction back.
	_, err = conn.ExecContext(ctx, "SET XACT_ABORT ON; BEGIN TRAN; INSERT dbo.k VALUES (9); INSERT dbo.k VALUES (9); INSERT dbo.k VALUES (10); COMMIT")
	wantErr(t, err, 2627, "")
	if err := conn.QueryRowContext(ctx, "SELECT @@TRANCOUNT").Scan(&tc); err != nil || tc != 0 {
		t.Fatalf("@@TRANCOUNT after XACT_ABORT = %d, %v; want 0", tc, err)
	}
	if n := count(); n != 4 {
		t.Fatalf("rows after the aborted batch = %d, want 4", n)
	}
}

// TestErrorDetails checks numbers, texts and lines of errors as go-mssqldb reports them.
func TestErrorDetails(t *testing.T) {
	_, db := start(t, Options{})
	ctx := t.Context()
	for _, tc := range []struct {
		sql    string
		number int32
		msg    string
		line   int32
	}{
		{"select 2147483647 + 1", 8115, "Arithmetic overflow error converting expression to data type int.", 1},
		{"DECLARE @i int = 2147483647;\nSELECT @i * 2", 8115, "Arithmetic overflow error converting expression to data type int.", 2},
		{"select [a", 105, "Unclosed quotation mark after the character string 'a'.", 1},
		{"select \"a", 105, "Unclosed quotation mark after the character string 'a'.", 1},
	} {
		var v any
		err := db.QueryRowContext(ctx, tc.sql).Scan(&v)
		n, m, line := sqlErr(err)
		if n != tc.number || m != tc.msg || line != tc.line {
			t.Errorf("%q: error %v (number %d, line %d), want %d %q at line %d", tc.sql, err, n, line, tc.number, tc.msg, tc.line)
		}
	}
	var big int64
	if err := db.QueryRowContext(ctx, "SELECT CAST(2147483647 AS bigint) + 1").Scan(&big); err != nil || big != 2147483648 {
		t.Fatalf("bigint sum = %d, %v", big, err)
	}

	// An error raised inside a procedure reports the procedure and a line of its body.
	for mode, call := range callers {
		_, err := call(ctx, db, "jobs.sp_update_job", []arg{{"job_name", "nope"}, {"enabled", true}}, nil)
		var me mssql.Error
		if !errors.As(err, &me) || me.Number != 50000 || me.ProcName == "" || me.LineNo < 1 {
			t.Errorf("%s: procedure error = %#v, want 50000 with a procedure name and a line", mode, err)
		}
	}
}

func TestExpressionDefaultsAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobdb.state")
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	restarted := created.Add(48 * time.Hour)
	opts := Options{StatePath: path, Password: "pw", NoSchedules: true, Now: func() time.Time { return created }}
	e, db := start(t, opts)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `CREATE TABLE dbo.d (n int PRIMARY KEY, id uniqueidentifier DEFAULT NEWID(),
		at datetime2 DEFAULT SYSUTCDATETIME(), k int DEFAULT (2 + 3))`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	opts.Now = func() time.Time { return restarted }
	_, db2 := start(t, opts)
	if _, err := db2.ExecContext(ctx, "INSERT dbo.d (n) VALUES (1), (2); INSERT dbo.d (n, at) VALUES (3, DEFAULT)"); err != nil {
		t.Fatal(err)
	}
	rows, err := db2.QueryContext(ctx, "SELECT CONVERT(nvarchar(36), id), at, k FROM dbo.d ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		var at time.Time
		var k int
		if err := rows.Scan(&id, &at, &k); err != nil {
			t.Fatal(err)
		}
		if ids[id] {
			t.Errorf("NEWID() default repeated %s", id)
		}
		ids[id] = true
		if !at.Equal(restarted) || k != 5 {
			t.Errorf("at = %v, k = %d; want %v, 5", at, k, restarted)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("rows = %d, want 3", len(ids))
	}
}
