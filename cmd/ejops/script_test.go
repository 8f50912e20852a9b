package main

import (
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ejops": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar; UPDATE_GOLDEN=1 rewrites their expected output.
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") == "1",
		Setup: func(e *testscript.Env) error {
			e.Setenv("EXAMPLES", examples)
			// Every script gets a job database of its own, served over TCP: $JOBDB, and
			// $JOBDB_READER for a login without CONTROL on it (like jobs_reader). Its server name
			// tells it from the embedded job database.
			em, err := emulator.New(emulator.Options{Password: "script-pw", ServerName: "script-server",
				Logins: []emulator.Login{{Name: "jobs_reader", Password: "reader-pw", Role: emulator.RoleReader}}})
			if err != nil {
				return err
			}
			addr, err := em.Listen("127.0.0.1:0")
			if err != nil {
				em.Close()
				return err
			}
			e.Setenv("JOBDB", em.DSN(addr))
			e.Setenv("JOBDB_READER", em.LoginDSN("jobs_reader", addr))
			e.Values[lockHolderKey{}] = &lockHolder{em: em, dsn: em.DSN(addr)}
			e.Defer(func() { em.Close() })
			// Credentials need a database master key, as on Azure.
			db, err := sql.Open("sqlserver", em.DSN(addr))
			if err != nil {
				return err
			}
			defer db.Close()
			_, err = db.Exec("CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Script-master-key-1'")
			return err
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"exitcode": cmdExitcode, "ejopsexit": cmdEjopsExit,
			"holdlock": cmdHoldLock, "releaselock": cmdReleaseLock},
	})
}

// cmdExitcode runs `exitcode N ejops-args...`: ejops in process, failing unless it exits with N.
// It sees the script's environment variables, but paths are not rewritten, so it suits usage
// errors; use exec or ejopsexit for everything that reads files.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: exitcode N [ejops arguments]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	e := &env{stdin: strings.NewReader(""), stdout: ts.Stdout(), stderr: ts.Stderr(), getenv: ts.Getenv, readFile: runner.ReadSecretFile}
	if got := run(e, args[1:]); got != want {
		ts.Fatalf("ejops exited with %d, want %d", got, want)
	}
}

// cmdEjopsExit runs `ejopsexit N ejops-args...`: the ejops binary in the script's folder and
// environment, failing unless it exits with N; its output is then checked as after exec.
func cmdEjopsExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: ejopsexit N [ejops arguments]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("ejopsexit: %v", err)
	}
	got := 0
	if err := ts.Exec("ejops", args[1:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("ejopsexit: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("ejops exited with %d, want %d", got, want)
	}
}

// lockHolder holds the apply lock of a script's job database on a connection of its own, as
// another apply would: holdlock takes it; releaselock waits until an apply started in the
// background waits for it, changes the job database and lets the lock go.
type lockHolder struct {
	em    *emulator.Emulator
	dsn   string
	db    *sql.DB
	tx    *sql.Tx
	calls int // sp_getapplock calls once the lock was taken
}

type lockHolderKey struct{}

// getapplock is how the emulator counts sp_getapplock calls.
const getapplock = "sys.sp_getapplock"

func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	h := ts.Value(lockHolderKey{}).(*lockHolder)
	if neg || len(args) > 0 || h.tx != nil {
		ts.Fatalf("usage: holdlock (once, then releaselock)")
	}
	db, err := sql.Open("sqlserver", h.dsn)
	ts.Check(err)
	tx, err := db.Begin()
	ts.Check(err)
	var rc mssql.ReturnStatus
	_, err = tx.Exec("sp_getapplock", sql.Named("Resource", jobdb.LockResource), sql.Named("LockMode", "Exclusive"),
		sql.Named("LockOwner", "Transaction"), &rc)
	ts.Check(err)
	if rc < 0 {
		ts.Fatalf("sp_getapplock returned %d", rc)
	}
	h.db, h.tx, h.calls = db, tx, h.em.Stats().Procs[getapplock]
}

func cmdReleaseLock(ts *testscript.TestScript, neg bool, args []string) {
	h := ts.Value(lockHolderKey{}).(*lockHolder)
	if neg || h.tx == nil {
		ts.Fatalf("usage: releaselock [SQL...] (after holdlock)")
	}
	for deadline := time.Now().Add(30 * time.Second); h.em.Stats().Procs[getapplock] <= h.calls; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			ts.Fatalf("no apply waited for the lock")
		}
	}
	for _, stmt := range args {
		_, err := h.tx.Exec(stmt)
		ts.Check(err)
	}
	ts.Check(h.tx.Commit())
	ts.Check(h.db.Close())
	h.db, h.tx = nil, nil
}
