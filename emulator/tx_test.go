package emulator

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
)

func countJobs(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM jobs.jobs").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTransactions(t *testing.T) {
	_, db := start(t, Options{})
	ctx := t.Context()

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "jobs.sp_add_job", sql.Named("job_name", "kept")); err != nil {
		t.Fatal(err)
	}
	var tc int
	if err := tx.QueryRowContext(ctx, "SELECT @@TRANCOUNT").Scan(&tc); err != nil || tc != 1 {
		t.Fatalf("@@TRANCOUNT in tx = %d, %v", tc, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	tx, err = db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "EXEC jobs.sp_add_job @job_name = N'dropped'"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := countJobs(t, db); n != 1 {
		t.Fatalf("jobs after commit and rollback = %d, want 1", n)
	}

	t.Run("throw with xact_abort dooms", func(t *testing.T) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "jobs.sp_add_job", sql.Named("job_name", "doomed")); err != nil {
			t.Fatal(err)
		}
		_, err = tx.ExecContext(ctx, "SET XACT_ABORT ON; THROW 50001, N'boom', 1;")
		wantErr(t, err, 50001, "boom")
		if err := tx.Commit(); err == nil {
			t.Fatal("commit of a doomed transaction succeeded")
		}
		if n := countJobs(t, db); n != 1 {
			t.Fatalf("jobs after doomed tx = %d, want 1", n)
		}
	})

	t.Run("procedure error dooms", func(t *testing.T) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "jobs.sp_add_job", sql.Named("job_name", "doomed2")); err != nil {
			t.Fatal(err)
		}
		_, err = tx.ExecContext(ctx, "jobs.sp_delete_job", sql.Named("job_name", "missing"))
		wantErr(t, err, 50000, "Job 'missing' was not found")
		err = tx.Commit()
		if err == nil || !strings.Contains(err.Error(), "abort") {
			t.Fatalf("commit after a procedure error = %v, want an aborted transaction", err)
		}
		if n := countJobs(t, db); n != 1 {
			t.Fatalf("jobs = %d, want 1", n)
		}
	})

	t.Run("batch transaction statements", func(t *testing.T) {
		_, err := db.ExecContext(ctx, `BEGIN TRAN; EXEC jobs.sp_add_job @job_name = 'b1'; ROLLBACK;
			BEGIN TRANSACTION; EXEC jobs.sp_add_job @job_name = 'b2'; COMMIT TRANSACTION;`)
		if err != nil {
			t.Fatal(err)
		}
		if n := countJobs(t, db); n != 2 {
			t.Fatalf("jobs = %d, want 2", n)
		}
		_, err = db.ExecContext(ctx, "COMMIT")
		wantErr(t, err, 3902, "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.")
	})

	t.Run("error without xact_abort keeps the transaction", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN TRAN; EXEC jobs.sp_add_job @job_name = 'open'"); err != nil {
			t.Fatal(err)
		}
		_, err = conn.ExecContext(ctx, "SELECT * FROM nowhere")
		wantErr(t, err, 208, "Invalid object name 'nowhere'.")
		var tc int
		if err := conn.QueryRowContext(ctx, "SELECT @@TRANCOUNT").Scan(&tc); err != nil || tc != 1 {
			t.Fatalf("@@TRANCOUNT = %d, %v", tc, err)
		}
		if _, err := conn.ExecContext(ctx, "SET XACT_ABORT ON; SELECT * FROM nowhere"); err == nil {
			t.Fatal("no error")
		}
		if err := conn.QueryRowContext(ctx, "SELECT @@TRANCOUNT").Scan(&tc); err != nil || tc != 0 {
			t.Fatalf("@@TRANCOUNT after an error with XACT_ABORT = %d, %v", tc, err)
		}
	})
}

func TestFailNextCommit(t *testing.T) {
	e, db := start(t, Options{})
	ctx := t.Context()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "jobs.sp_add_job", sql.Named("job_name", "x")); err != nil {
		t.Fatal(err)
	}
	e.FailNextCommit()
	if err := tx.Commit(); err == nil {
		t.Fatal("commit succeeded")
	}
	if n := countJobs(t, db); n != 0 {
		t.Fatalf("jobs = %d, want 0", n)
	}
}

func TestAppLocksAcrossConnections(t *testing.T) {
	e, db := start(t, Options{})
	ctx := t.Context()
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	lock := func(c *sql.Conn, timeout int) int {
		t.Helper()
		var rs mssql.ReturnStatus
		_, err := c.ExecContext(ctx, "sp_getapplock", sql.Named("Resource", "ejops-apply"), sql.Named("LockMode", "Exclusive"),
			sql.Named("LockOwner", "Session"), sql.Named("LockTimeout", timeout), &rs)
		if err != nil {
			t.Fatal(err)
		}
		return int(rs)
	}
	if rc := lock(c1, 0); rc != 0 {
		t.Fatalf("first lock = %d, want 0", rc)
	}
	if rc := lock(c2, 0); rc != -1 {
		t.Fatalf("second lock = %d, want -1 (timeout)", rc)
	}
	// A waiter is granted the lock when the holder releases it.
	calls := e.Stats().Procs["sys.sp_getapplock"]
	got := make(chan int, 1)
	go func() {
		var rc int
		err := c2.QueryRowContext(ctx, `DECLARE @rc int;
			EXEC @rc = sp_getapplock @Resource = N'ejops-apply', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 5000;
			SELECT @rc`).Scan(&rc)
		if err != nil {
			rc = -100
		}
		got <- rc
	}()
	if err := e.AwaitCalls(ctx, "sys.sp_getapplock", calls+1); err != nil {
		t.Fatal(err)
	}
	var rs mssql.ReturnStatus
	if _, err := c1.ExecContext(ctx, "sp_releaseapplock", sql.Named("Resource", "ejops-apply"), sql.Named("LockOwner", "Session"), &rs); err != nil || rs != 0 {
		t.Fatalf("release = %d, %v", rs, err)
	}
	if rc := <-got; rc != 1 {
		t.Fatalf("waiting lock = %d, want 1 (granted after waiting)", rc)
	}
	if _, err := c1.ExecContext(ctx, "sp_getapplock", sql.Named("Resource", "r"), sql.Named("LockMode", "Exclusive"), &rs); err != nil || rs != -999 {
		t.Fatalf("transaction-owned lock outside a transaction: %d, %v; want -999", rs, err)
	}
}

func TestConcurrentClients(t *testing.T) {
	e, db := start(t, Options{})
	ctx := t.Context()
	db.SetMaxOpenConns(20)
	const clients, perClient = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				name := fmt.Sprintf("job-%d-%d", c, i)
				if i%2 == 0 {
					if _, err := db.ExecContext(ctx, "jobs.sp_add_job", sql.Named("job_name", name)); err != nil {
						errs <- err
						return
					}
				} else if _, err := db.ExecContext(ctx, "EXEC jobs.sp_add_job @job_name = @p1", name); err != nil {
					errs <- err
					return
				}
				var n int
				if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM jobs.jobs WHERE job_name = @p1", name).Scan(&n); err != nil || n != 1 {
					errs <- fmt.Errorf("read back %s: %d, %v", name, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := countJobs(t, db); n != clients*perClient {
		t.Fatalf("jobs = %d, want %d", n, clients*perClient)
	}
	if got := e.Stats().Procs["jobs.sp_add_job"]; got != clients*perClient {
		t.Fatalf("sp_add_job calls = %d, want %d", got, clients*perClient)
	}
}

func TestPersistenceAndSecrets(t *testing.T) {
	const sentinel = "S3ntinel-Secret-9f1c"
	dir := t.TempDir()
	path := filepath.Join(dir, "jobdb.json")
	var logs bytes.Buffer
	opts := Options{StatePath: path, Password: "pw", Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	e, db := start(t, opts)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = '`+sentinel+`';
		CREATE DATABASE SCOPED CREDENTIAL cred WITH IDENTITY = 'user1', SECRET = '`+sentinel+`';
		EXEC jobs.sp_add_job @job_name = N'persisted', @description = N'survives';`); err != nil {
		t.Fatal(err)
	}
	var errTexts []string
	for _, q := range []string{
		"CREATE DATABASE SCOPED CREDENTIAL cred WITH IDENTITY = 'user1', SECRET = '" + sentinel + "'",
		"CREATE DATABASE SCOPED CREDENTIAL cred2 WITH IDENTITY = 'user1', SECRET '" + sentinel + "'",
		"CREATE DATABASE SCOPED CREDENTIAL cred2 WITH IDENTITY = 'user1', SECRET = '" + sentinel + "' junk",
		"CREATE DATABASE SCOPED CREDENTIAL cred2 WITH IDENTITY = 'user1', SECRET = '" + sentinel,
		"ALTER DATABASE SCOPED CREDENTIAL nope WITH IDENTITY = 'user1', SECRET = '" + sentinel + "'",
		"CREATE MASTER KEY ENCRYPTION BY PASSWORD = '" + sentinel + "'",
		"CREATE MASTER KEY ENCRYPTION BY PASSWORD '" + sentinel + "'",
	} {
		_, err := db.ExecContext(ctx, q)
		if err == nil {
			t.Fatalf("%q succeeded", q)
		}
		errTexts = append(errTexts, err.Error())
	}
	var identity string
	if err := db.QueryRowContext(ctx, "SELECT credential_identity FROM sys.database_scoped_credentials WHERE name = 'cred'").Scan(&identity); err != nil || identity != "user1" {
		t.Fatalf("credential identity = %q, %v", identity, err)
	}
	db.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(sentinel)) {
			t.Errorf("%s contains the secret", filepath.Base(f))
		}
	}
	for _, s := range append(errTexts, logs.String()) {
		if strings.Contains(s, sentinel) {
			t.Errorf("secret leaked: %s", s)
		}
	}

	_, db2 := start(t, opts)
	var desc string
	if err := db2.QueryRowContext(ctx, "SELECT description FROM jobs.jobs WHERE job_name = 'persisted'").Scan(&desc); err != nil || desc != "survives" {
		t.Fatalf("after restart: %q, %v", desc, err)
	}
	if err := db2.QueryRowContext(ctx, "SELECT credential_identity FROM sys.database_scoped_credentials WHERE name = 'CRED'").Scan(&identity); err != nil {
		t.Fatalf("credential after restart: %v", err)
	}
}

func TestSyntaxErrors(t *testing.T) {
	_, db := start(t, Options{})
	cases := []struct {
		sql    string
		number int32
		msg    string
		line   int32
	}{
		{"SELECT 1\nSELECT FROM jobs.jobs", 156, "Incorrect syntax near the keyword 'FROM'.", 2},
		{"SELECT 1,\n\n  2 3", 102, "Incorrect syntax near '3'.", 3},
		{"EXEC jobs.sp_add_job @job_name = N'x' +", 102, "Incorrect syntax near '+'.", 1},
		{"MERGE INTO x", 156, "Incorrect syntax near the keyword 'MERGE'.", 1},
		{"SELECT 'abc", 105, "Unclosed quotation mark after the character string 'abc'.", 1},
		{"DECLARE @a int;\nSELECT @b", 137, "Must declare the scalar variable \"@b\".", 2},
		{"SET FOO ON", 195, "'FOO' is not a recognized SET option.", 1},
	}
	for _, tc := range cases {
		_, err := db.ExecContext(t.Context(), tc.sql)
		n, m, line := sqlErr(err)
		if n != tc.number || m != tc.msg || line != tc.line {
			t.Errorf("%q: got %d %q line %d, want %d %q line %d", tc.sql, n, m, line, tc.number, tc.msg, tc.line)
		}
	}
}

func TestEmbeddedConnector(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".ejops", "jobdb.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		e, c, err := OpenEmbedded(path)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(c)
		if round == 0 {
			if _, err := db.ExecContext(t.Context(), "jobs.sp_add_job", sql.Named("job_name", "embedded")); err != nil {
				t.Fatal(err)
			}
		}
		if n := countJobs(t, db); n != 1 {
			t.Fatalf("round %d: jobs = %d", round, n)
		}
		db.Close()
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFaultsAndStats(t *testing.T) {
	e, db := start(t, Options{})
	ctx := t.Context()
	db.SetMaxIdleConns(1)
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	e.ResetStats()
	if _, err := db.ExecContext(ctx, "EXEC jobs.sp_add_job @job_name = 'a'; EXEC jobs.sp_add_target_group 'g'"); err != nil {
		t.Fatal(err)
	}
	st := e.Stats()
	if st.RoundTrips != 1 || st.Procs["jobs.sp_add_job"] != 1 || st.Procs["jobs.sp_add_target_group"] != 1 {
		t.Fatalf("stats = %+v", st)
	}
	if len(st.Conns) != 1 || st.Conns[0].RoundTrips != 1 {
		t.Fatalf("connection stats = %+v", st.Conns)
	}

	e.DropAfter(0)
	_, err := db.ExecContext(ctx, "SELECT 1")
	if err == nil {
		t.Fatal("request after DropAfter(0) succeeded")
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("ping after the dropped connection: %v", err)
	}

	e.SetDelay(200 * time.Millisecond)
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = db.ExecContext(tctx, "SELECT 1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delayed request: %v, want deadline exceeded", err)
	}
	e.SetDelay(0)
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
}
