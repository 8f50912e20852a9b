package emulator

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// markers runs a query on conn and returns the first column of every row of every result set, in
// order, with the error that ended the request.
func markers(t *testing.T, conn *sql.Conn, query string, args ...any) ([]string, error) {
	t.Helper()
	rows, err := conn.QueryContext(t.Context(), query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var got []string
	for more := true; more; more = rows.NextResultSet() {
		cols, err := rows.Columns()
		if err != nil {
			break
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = fmt.Sprint(v)
			}
			got = append(got, strings.Join(parts, ","))
		}
	}
	if err := rows.Err(); err != nil {
		return got, err
	}
	return got, rows.Close()
}

func scalarOn(t *testing.T, conn *sql.Conn, query string) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRowContext(t.Context(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestBatchOfCalls: a parameterised batch of EXEC statements runs them in order, each OUTPUT
// variable set by its EXEC and read by the SELECT after it, one result set each; with XACT_ABORT ON
// the first failing call ends the batch and rolls the transaction back, as SQL Server does.
func TestBatchOfCalls(t *testing.T) {
	_, db := start(t, Options{})
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "SET XACT_ABORT ON; BEGIN TRANSACTION"); err != nil {
		t.Fatal(err)
	}
	const calls = `DECLARE @v int;
EXEC jobs.sp_add_target_group @target_group_name = @p1;
EXEC jobs.sp_add_job @job_name = @p2;
EXEC jobs.sp_add_jobstep @job_name = @p2, @step_name = N'a', @command = @p3, @target_group_name = @p1, @job_version = @v OUTPUT;
SELECT 1 AS call, @v AS job_version;
EXEC jobs.sp_add_jobstep @job_name = @p2, @step_name = N'b', @command = @p3, @target_group_name = @p1, @job_version = @v OUTPUT;
SELECT 2 AS call, @v AS job_version;
EXEC jobs.sp_add_jobstep @job_name = @p4, @step_name = N'c', @command = @p3, @target_group_name = @p1, @job_version = @v OUTPUT;
SELECT 3 AS call, @v AS job_version;`
	got, err := markers(t, conn, calls, "tg", "nightly", "SELECT 1", "missing")
	if strings.Join(got, " ") != "1,1 2,2" {
		t.Errorf("result sets before the failing call: %q, want 1,1 and 2,2", got)
	}
	wantErr(t, err, 50000, "Job 'missing' was not found")
	if n := scalarOn(t, conn, "SELECT @@TRANCOUNT"); n != 0 {
		t.Errorf("@@TRANCOUNT %d after the failed batch, want 0 (rolled back)", n)
	}
	if n := scalarOn(t, conn, "SELECT COUNT(*) FROM jobs.jobs"); n != 0 {
		t.Errorf("%d jobs after the rollback", n)
	}
}

// TestXactAbortEndsTheBatch: a statement error (a duplicate key) ends only the statement with
// XACT_ABORT OFF, and the batch and the transaction with it ON.
func TestXactAbortEndsTheBatch(t *testing.T) {
	_, db := start(t, Options{})
	if _, err := db.Exec("CREATE TABLE dbo.t (id int NOT NULL PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	const batch = "INSERT INTO dbo.t (id) VALUES (@p1); SELECT 1 AS m; INSERT INTO dbo.t (id) VALUES (@p1); SELECT 2 AS m;"
	for _, c := range []struct {
		xactAbort string
		markers   string
		tranCount int64
	}{{"OFF", "1 2", 1}, {"ON", "1", 0}} {
		conn, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(t.Context(), "SET XACT_ABORT "+c.xactAbort+"; BEGIN TRANSACTION"); err != nil {
			t.Fatal(err)
		}
		got, err := markers(t, conn, batch, int64(7))
		wantErr(t, err, 2627, "")
		if strings.Join(got, " ") != c.markers {
			t.Errorf("XACT_ABORT %s: result sets %q, want %s", c.xactAbort, got, c.markers)
		}
		if n := scalarOn(t, conn, "SELECT @@TRANCOUNT"); n != c.tranCount {
			t.Errorf("XACT_ABORT %s: @@TRANCOUNT %d, want %d", c.xactAbort, n, c.tranCount)
		}
		if _, err := conn.ExecContext(t.Context(), "IF @@TRANCOUNT > 0 ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
}

// TestBatchOfCallsWithFreeTDS sends a batch of several EXEC statements through FreeTDS tsql: each
// call's OUTPUT variable shows in the result set after it, the failing call ends the batch with
// its message, and XACT_ABORT rolls everything back.
func TestBatchOfCallsWithFreeTDS(t *testing.T) {
	tsql := lookTSQL(t)
	e, addr := listen(t, Options{Password: "Batch-pw1"})
	script := `SET XACT_ABORT ON
BEGIN TRANSACTION
DECLARE @v int
EXEC jobs.sp_add_target_group @target_group_name = N'tg'
EXEC jobs.sp_add_job @job_name = N'nightly'
EXEC jobs.sp_add_jobstep @job_name = N'nightly', @step_name = N'a', @command = N'SELECT 1', @target_group_name = N'tg', @job_version = @v OUTPUT
SELECT 1 AS ejops_call, @v AS job_version
EXEC jobs.sp_add_jobstep @job_name = N'nightly', @step_name = N'b', @command = N'SELECT 2', @target_group_name = N'tg', @job_version = @v OUTPUT
SELECT 2 AS ejops_call, @v AS job_version
EXEC jobs.sp_add_jobstep @job_name = N'missing', @step_name = N'c', @command = N'SELECT 3', @target_group_name = N'tg'
SELECT 3 AS ejops_call
go
SELECT @@TRANCOUNT AS trancount, (SELECT COUNT(*) FROM jobs.jobs) AS jobs
go
`
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	port := strconv.Itoa(addr.(*net.TCPAddr).Port)
	cmd := exec.CommandContext(ctx, tsql, "-H", "127.0.0.1", "-p", port, "-U", e.User(), "-P", e.Password(), "-D", Database, "-o", "q")
	cmd.Env = append(os.Environ(), "TDSVER=7.4")
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tsql: %v\n%s", err, stderr.String())
	}
	want := "ejops_call\tjob_version\n1\t1\nejops_call\tjob_version\n2\t2\ntrancount\tjobs\n0\t0\n"
	if stdout.String() != want {
		t.Errorf("tsql printed:\n%s\nwant:\n%s", stdout.String(), want)
	}
	if !strings.Contains(stderr.String(), "Msg 50000") || !strings.Contains(stderr.String(), "Job 'missing' was not found") {
		t.Errorf("tsql's messages:\n%s", stderr.String())
	}
	if n := e.Stats().Procs["jobs.sp_add_jobstep"]; n != 3 {
		t.Errorf("sp_add_jobstep ran %d times, want 3", n)
	}
}
