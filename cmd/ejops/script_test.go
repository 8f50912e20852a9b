package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ejops/ejops/emulator"
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
			// Every script gets a job database of its own, served over TCP: $JOBDB.
			em, err := emulator.New(emulator.Options{Password: "script-pw"})
			if err != nil {
				return err
			}
			addr, err := em.Listen("127.0.0.1:0")
			if err != nil {
				em.Close()
				return err
			}
			e.Setenv("JOBDB", em.DSN(addr))
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
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"exitcode": cmdExitcode},
	})
}

// cmdExitcode runs `exitcode N ejops-args...`: ejops in process, failing unless it exits with N.
// Paths are not rewritten, so it suits usage errors; use exec for everything that reads files.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: exitcode N [ejops arguments]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	if got := Main(args[1:], strings.NewReader(""), ts.Stdout(), ts.Stderr()); got != want {
		ts.Fatalf("ejops exited with %d, want %d", got, want)
	}
}
