package emulator

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The embedded database of a CLI process runs started executions but fires no schedules.
func TestEmbeddedFiresNoSchedules(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".ejops", "jobdb.json")
	e, c, err := OpenEmbedded(path)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	db := sql.OpenDB(c)
	defer db.Close()
	ctx := t.Context()
	setup := `EXEC jobs.sp_add_target_group @target_group_name = N'g';
		EXEC jobs.sp_add_target_group_member @target_group_name = N'g', @target_type = N'SqlDatabase',
			@server_name = N's', @database_name = N'd';
		EXEC jobs.sp_add_job @job_name = N'hourly', @enabled = 1, @schedule_interval_type = N'Hours',
			@schedule_interval_count = 1, @schedule_start_time = @p1;
		EXEC jobs.sp_add_jobstep @job_name = N'hourly', @step_name = N'one', @command = N'SELECT 1;', @target_group_name = N'g';
		EXEC jobs.sp_add_job @job_name = N'manual';
		EXEC jobs.sp_add_jobstep @job_name = N'manual', @step_name = N'one', @command = N'SELECT 1;', @target_group_name = N'g';`
	if _, err := db.ExecContext(ctx, setup, time.Now().UTC().Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "EXEC jobs.sp_start_job @job_name = N'manual'"); err != nil {
		t.Fatal(err)
	}
	count := func(query string) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for count("SELECT COUNT(*) FROM jobs.job_executions WHERE job_name = N'manual' AND step_id IS NULL AND lifecycle = N'Succeeded'") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the started execution did not run")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The agent has stepped since the hourly job became due: a resident agent would have fired it.
	if n := count("SELECT COUNT(*) FROM jobs.job_executions WHERE job_name = N'hourly'"); n != 0 {
		t.Errorf("the schedule fired: %d rows", n)
	}
}

// The embedded database makes its own master key, once, so credentials can be created.
func TestEmbeddedHasAMasterKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".ejops", "jobdb.json")
	for range 2 { // the second open finds the key and keeps it
		e, c, err := OpenEmbedded(path)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(c)
		if _, err := db.ExecContext(t.Context(), "IF NOT EXISTS (SELECT * FROM sys.database_scoped_credentials WHERE name = N'c') CREATE DATABASE SCOPED CREDENTIAL c WITH IDENTITY = 'u', SECRET = 'p'"); err != nil {
			t.Fatalf("create a credential: %v", err)
		}
		var n int
		if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM sys.symmetric_keys").Scan(&n); err != nil || n != 1 {
			t.Fatalf("master keys: %d, %v", n, err)
		}
		db.Close()
		e.Close()
	}
}

// The state folder ignores itself in git: a folder the embedded database creates, or any .ejops
// folder; a folder of the user's that holds a state file is left as it is.
func TestEmbeddedStateFolderIgnoresItself(t *testing.T) {
	root := t.TempDir()
	for _, c := range []struct {
		dir        string
		exists     bool
		wantIgnore bool
	}{
		{dir: filepath.Join(root, ".ejops"), wantIgnore: true},
		{dir: filepath.Join(root, "new", "state"), wantIgnore: true},
		{dir: filepath.Join(root, "old", ".ejops"), exists: true, wantIgnore: true},
		{dir: filepath.Join(root, "mine"), exists: true},
	} {
		if c.exists {
			if err := os.MkdirAll(c.dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		e, _, err := OpenEmbedded(filepath.Join(c.dir, "jobdb.json"))
		if err != nil {
			t.Fatal(err)
		}
		e.Close()
		b, err := os.ReadFile(filepath.Join(c.dir, ".gitignore"))
		switch {
		case c.wantIgnore && (err != nil || !strings.HasSuffix(string(b), "\n*\n")):
			t.Errorf("%s: .gitignore = %q, %v; want one that ignores everything", c.dir, b, err)
		case !c.wantIgnore && err == nil:
			t.Errorf("%s: a .gitignore was written into a folder of the user's", c.dir)
		}
	}
}
