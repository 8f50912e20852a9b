package jobdb

import (
	"context"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ejops/ejops/emulator"
)

// serve starts an emulator on loopback and returns it with its address.
func serve(t *testing.T, opts emulator.Options) (*emulator.Emulator, net.Addr) {
	t.Helper()
	opts.Password = "leader-pw-1"
	em, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := em.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { em.Close() })
	return em, addr
}

func open(t *testing.T, dsn string) *DB {
	t.Helper()
	db, err := Open(dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOneLeaderAtATime(t *testing.T) {
	em, addr := serve(t, emulator.Options{})
	dsn := em.DSN(addr)
	a, b := open(t, dsn), open(t, dsn)
	ctx := t.Context()
	la, err := a.TryLead(ctx, LeaderResource)
	if err != nil || la == nil {
		t.Fatalf("first replica: leader %v, error %v", la, err)
	}
	if lb, err := b.TryLead(ctx, LeaderResource); err != nil || lb != nil {
		t.Fatalf("second replica while the first leads: leader %v, error %v", lb, err)
	}
	// The pool of the leader's replica keeps working, and its other sessions do not hold the lock:
	// the lock belongs to the dedicated session only.
	if _, err := a.Read(ctx); err != nil {
		t.Fatal(err)
	}
	if err := la.Check(ctx); err != nil {
		t.Fatalf("check of a live leader: %v", err)
	}
	if err := la.Release(ctx); err != nil {
		t.Fatal(err)
	}
	lb, err := b.TryLead(ctx, LeaderResource)
	if err != nil || lb == nil {
		t.Fatalf("after release: leader %v, error %v", lb, err)
	}
	// The leader's connection dies: the server ends its session and the lock with it.
	em.DropAfter(0)
	if err := lb.Check(ctx); err == nil {
		t.Fatal("check on a dropped connection succeeded")
	}
	lb.Release(ctx)
	// A session asking for the lock, waiting up to 5 s, gets it once the server ends the dead one.
	conn, err := a.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var rc mssql.ReturnStatus
	_, err = conn.ExecContext(ctx, "sp_getapplock", sql.Named("Resource", LeaderResource), sql.Named("LockMode", "Exclusive"),
		sql.Named("LockOwner", "Session"), sql.Named("LockTimeout", int32(5000)), &rc)
	if err != nil || rc < 0 {
		t.Fatalf("the lock of a dead session was not freed: sp_getapplock returned %d, %v", rc, err)
	}
	if _, err := conn.ExecContext(ctx, "sp_releaseapplock", sql.Named("Resource", LeaderResource), sql.Named("LockOwner", "Session"), &rc); err != nil {
		t.Fatal(err)
	}
	la, err = a.TryLead(ctx, LeaderResource)
	if err != nil || la == nil {
		t.Fatalf("after the dead session's lock was freed: leader %v, error %v", la, err)
	}
	la.Release(context.Background())
}

func TestFinishedSinceCountsEachEndOnce(t *testing.T) {
	fleet := filepath.Join(t.TempDir(), "fleet.yaml")
	err := os.WriteFile(fleet, []byte(`authentication: ManagedIdentity
servers:
  - name: s1.database.windows.net
    databases:
      - good
      - name: broken
        failure: {message: "Invalid object name 'dbo.missing'.", number: 208, always: true}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	em, addr := serve(t, emulator.Options{Fleet: fleet})
	dsn := em.DSN(addr)
	db := open(t, dsn)
	ctx := t.Context()
	_, since, err := db.FinishedSince(ctx, time.Time{})
	if err != nil || since.IsZero() {
		t.Fatalf("first window: %v, %v", since, err)
	}
	for _, q := range []string{
		"EXEC jobs.sp_add_target_group N'g'",
		"EXEC jobs.sp_add_target_group_member @target_group_name = N'g', @target_type = N'SqlServer', @server_name = N's1.database.windows.net'",
		"EXEC jobs.sp_add_job @job_name = N'nightly'",
		"EXEC jobs.sp_add_jobstep @job_name = N'nightly', @command = N'SELECT 1;', @target_group_name = N'g', @retry_attempts = 0",
		"EXEC jobs.sp_start_job N'nightly'",
	} {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var all []ExecutionRow
	for deadline := time.Now().Add(10 * time.Second); ; {
		rows, next, err := db.FinishedSince(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		if next.Before(since) {
			t.Fatalf("window went back from %v to %v", since, next)
		}
		all, since = append(all, rows...), next
		if slices.ContainsFunc(all, func(f ExecutionRow) bool { return f.StepID == 0 }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the execution did not finish: %+v", all)
		}
		time.Sleep(20 * time.Millisecond)
	}
	byDB := map[string]string{}
	var root *ExecutionRow
	for i, f := range all {
		if f.Job != "nightly" {
			t.Errorf("row of job %q", f.Job)
		}
		if f.StepID == 0 {
			if root != nil {
				t.Errorf("root counted twice: %+v", all)
			}
			root = &all[i]
		}
		if f.TargetType == "SqlDatabase" {
			if _, dup := byDB[f.TargetDatabase]; dup {
				t.Errorf("database %s counted twice", f.TargetDatabase)
			}
			byDB[f.TargetDatabase] = f.Lifecycle
			if f.TargetServer != "s1.database.windows.net" {
				t.Errorf("server %q", f.TargetServer)
			}
		}
	}
	if root == nil || root.Lifecycle != "Failed" {
		t.Fatalf("root row: %+v", root)
	}
	if byDB["good"] != "Succeeded" || byDB["broken"] != "Failed" {
		t.Fatalf("target rows: %v", byDB)
	}
	rows, _, err := db.FinishedSince(ctx, since)
	if err != nil || len(rows) != 0 {
		t.Fatalf("the next window repeats rows: %+v, %v", rows, err)
	}
}
