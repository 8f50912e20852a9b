package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestEmulatorCommandRunsJobsOverTheFleet serves ejops emulator --fleet on a free port, starts a
// job over a target group of fleet databases, and follows it to Succeeded; a database added to the
// fleet file shows up in the next run.
func TestEmulatorCommandRunsJobsOverTheFleet(t *testing.T) {
	fleet := filepath.Join(t.TempDir(), "fleet.yaml")
	write := func(dbs string) {
		t.Helper()
		if err := os.WriteFile(fleet, []byte("authentication: ManagedIdentity\nservers:\n  - name: s1.database.windows.net\n    databases: ["+dbs+"]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a, b")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- runEmulator(ctx, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }},
			[]string{"--listen", "127.0.0.1:0", "--fleet", fleet, "--password", "Emu-pw-1"})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("emulator exit %d\n%s", code, stderr.String())
		}
	}()
	var dsn string
	for deadline := time.Now().Add(10 * time.Second); dsn == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		dsn = strings.TrimSpace(stdout.String())
	}
	if !strings.HasPrefix(dsn, "sqlserver://") || strings.Contains(dsn, "Emu-pw-1") {
		t.Fatalf("want a DSN without the chosen password, got %q\n%s", dsn, stderr.String())
	}
	dsn = strings.Replace(dsn, "xxxxx", "Emu-pw-1", 1)
	db, err := sql.Open("sqlserver", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"EXEC jobs.sp_add_target_group N'g'",
		"EXEC jobs.sp_add_target_group_member @target_group_name = N'g', @target_type = N'SqlServer', @server_name = N's1.database.windows.net'",
		"EXEC jobs.sp_add_job @job_name = N'j'",
		"EXEC jobs.sp_add_jobstep @job_name = N'j', @command = N'SELECT 1;', @target_group_name = N'g'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// runJob starts the job and returns the number of databases it ran on once it succeeded.
	runJob := func() int {
		t.Helper()
		var id string
		if err := db.QueryRow("DECLARE @id uniqueidentifier; EXEC jobs.sp_start_job @job_name = N'j', @job_execution_id = @id OUTPUT; SELECT CAST(@id AS nvarchar(36))").Scan(&id); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			var lifecycle string
			if err := db.QueryRow("SELECT lifecycle FROM jobs.job_executions WHERE job_execution_id = @p1 AND step_id IS NULL", id).Scan(&lifecycle); err != nil {
				t.Fatal(err)
			}
			if lifecycle == "Succeeded" {
				var n int
				if err := db.QueryRow("SELECT COUNT(*) FROM jobs.job_executions WHERE job_execution_id = @p1 AND target_type = N'SqlDatabase'", id).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if lifecycle != "Created" && lifecycle != "InProgress" && lifecycle != "WaitingForChildJobExecutions" {
				t.Fatalf("execution ended %s", lifecycle)
			}
		}
		t.Fatal("the execution did not finish")
		return 0
	}
	if n := runJob(); n != 2 {
		t.Fatalf("ran on %d databases, want 2", n)
	}
	write("a, b, c")
	// The watcher debounces changes: run again until the new database shows up.
	n := runJob()
	for deadline := time.Now().Add(10 * time.Second); n != 3 && time.Now().Before(deadline); n = runJob() {
		time.Sleep(100 * time.Millisecond)
	}
	if n != 3 {
		t.Fatalf("after adding a database to the fleet: ran on %d databases, want 3", n)
	}
}

// TestEmulatorPasswordFile: the login password can come from a file, so ps does not show it.
func TestEmulatorPasswordFile(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(pw, []byte("Emu-file-pw-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if a, code, msg := parseEmulator("--password-file", pw); code != -1 || a.password != "Emu-file-pw-1" {
		t.Errorf("--password-file: code %d, password %q, %s", code, a.password, msg)
	}
	for _, c := range [][]string{{"--password-file", empty}, {"--password-file", pw, "--password", "x"}, {"--password-file", filepath.Join(dir, "none")}} {
		if _, code, msg := parseEmulator(c...); code != exitUsage || strings.Contains(msg, "Emu-file-pw-1") {
			t.Errorf("%v: code %d, want %d: %s", c, code, exitUsage, msg)
		}
	}
}

// parseEmulator parses ejops emulator's flags with no environment and returns what
// parseEmulatorArgs returns and its stderr.
func parseEmulator(args ...string) (emulatorArgs, int, string) {
	var stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr, getenv: func(string) string { return "" }, readFile: runner.ReadSecretFile}
	a, code := parseEmulatorArgs(e, args)
	return a, code, stderr.String()
}

// TestEmulatorLogins: --login and --users add logins with roles; a bad one is a usage error that
// never shows its password.
func TestEmulatorLogins(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte("# logins\nreporting:Rd:pw:jobs_reader\r\n\ndeployer:Adm-pw:jobs_admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("x:Secret-in-file:db_owner\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, code, msg := parseEmulator("--login", "ops:O-pw:owner", "--users", users)
	want := []emulator.Login{{Name: "ops", Password: "O-pw", Role: "owner"}, {Name: "reporting", Password: "Rd:pw", Role: "jobs_reader"}, {Name: "deployer", Password: "Adm-pw", Role: "jobs_admin"}}
	if code != -1 || fmt.Sprint(a.logins) != fmt.Sprint(want) {
		t.Errorf("code %d, logins %v (%s)", code, a.logins, msg)
	}
	for _, c := range [][]string{{"--login", "x:Secret-1:admin"}, {"--login", "Secret-1"}, {"--users", bad}} {
		if _, code, msg := parseEmulator(c...); code != exitUsage || strings.Contains(msg, "Secret-") {
			t.Errorf("%v: code %d, want %d: %s", c, code, exitUsage, msg)
		}
	}
}

// TestEmulatorServeTargets: --serve-targets prints, after the DSN, the EJOPS_TARGET_MAP line of
// every fleet server, whose addresses accept logins; it needs --fleet.
func TestEmulatorServeTargets(t *testing.T) {
	if _, code, msg := parseEmulator("--serve-targets"); code != exitUsage || !strings.Contains(msg, "--serve-targets needs --fleet") {
		t.Errorf("without --fleet: code %d: %s", code, msg)
	}
	fleet := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(fleet, []byte("servers:\n  - name: s1.database.windows.net\n    databases: [a]\n  - name: s2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- runEmulator(ctx, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }},
			[]string{"--listen", "127.0.0.1:0", "--fleet", fleet, "--serve-targets"})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("emulator exit %d\n%s", code, stderr.String())
		}
	}()
	var lines []string
	for deadline := time.Now().Add(10 * time.Second); len(lines) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		lines = strings.Fields(stdout.String())
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "sqlserver://") || !strings.HasPrefix(lines[1], "EJOPS_TARGET_MAP=s1.database.windows.net=127.0.0.1:") {
		t.Fatalf("output %q\n%s", lines, stderr.String())
	}
	pairs := strings.Split(strings.TrimPrefix(lines[1], "EJOPS_TARGET_MAP="), ",")
	if len(pairs) != 2 || !strings.HasPrefix(pairs[1], "s2=127.0.0.1:") {
		t.Fatalf("map %q", lines[1])
	}
	_, addr, _ := strings.Cut(pairs[0], "=")
	db, err := sql.Open("sqlserver", "sqlserver://job_user:pw@"+addr+"?database=a&encrypt=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRow("SELECT DB_NAME()").Scan(&name); err != nil || name != "a" {
		t.Errorf("DB_NAME() = %q, %v", name, err)
	}
}
