package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
