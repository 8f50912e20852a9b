package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/spec"
)

// jobDB is an emulator served over TCP for one test, with a database/sql pool to inspect it.
type jobDB struct {
	em   *emulator.Emulator
	addr net.Addr
	dsn  string
	db   *sql.DB
	// logs holds everything the emulator logged, at debug level.
	logs *syncBuffer
	// secretFiles replaces reading secret files, for examples that name files outside the test.
	secretFiles func(string) ([]byte, error)
}

func startJobDB(t *testing.T) *jobDB {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	j := serveJobDB(t, emulator.Options{User: "ejops", Password: "emulator-pw", Logger: logger})
	j.logs = logs
	return j
}

// serveJobDB serves an emulator made with opts on a free loopback port until the test ends.
func serveJobDB(tb testing.TB, opts emulator.Options) *jobDB {
	tb.Helper()
	em, err := emulator.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	addr, err := em.Listen("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	dsn := em.DSN(addr)
	db, err := sql.Open("sqlserver", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db.Close()
		em.Close()
	})
	return &jobDB{em: em, addr: addr, dsn: dsn, db: db}
}

// ejops runs the CLI with the job database and returns the exit code, stdout and stderr. Secret
// files are read from j.secretFiles when it is set.
func (j *jobDB) ejops(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: os.Getenv, readFile: runner.ReadSecretFile}
	if j.secretFiles != nil {
		e.readFile = j.secretFiles
	}
	code := run(e, append([]string{args[0], "--job-db", j.dsn}, args[1:]...))
	return code, stdout.String(), stderr.String()
}

func (j *jobDB) mustRun(t *testing.T, want int, args ...string) string {
	t.Helper()
	code, out, errOut := j.ejops(t, args...)
	if code != want {
		t.Fatalf("ejops %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out
}

// procCalls is the number of jobs.sp_* and credential statements the emulator ran since the last reset.
func (j *jobDB) procCalls() int {
	n := 0
	for name, c := range j.em.Stats().Procs {
		if strings.HasPrefix(strings.ToLower(name), "jobs.sp_") {
			n += c
		}
	}
	return n
}

func (j *jobDB) scalar(t *testing.T, query string, args ...any) any {
	t.Helper()
	var v any
	if err := j.db.QueryRowContext(context.Background(), query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func (j *jobDB) exec(t *testing.T, query string) {
	t.Helper()
	if _, err := j.db.ExecContext(context.Background(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// writeSpecs writes files (name → content) into a new folder and returns it.
func writeSpecs(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const miAgent = `apiVersion: ejops/v1
kind: Agent
metadata: {name: agent}
spec: {authentication: ManagedIdentity}
`

const tenants = `apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: tenants}
spec:
  members:
    - server: t1.database.windows.net
      database: a
    - server: t1.database.windows.net
      database: b
`

func jobSpec(name string, steps ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: ejops/v1\nkind: Job\nmetadata: {name: %q}\nspec:\n  description: maintenance\n  steps:\n", name)
	for _, s := range steps {
		fmt.Fprintf(&b, "    - name: %q\n      targetGroup: tenants\n      command: \"SELECT %d AS n;\"\n", s, len(s))
	}
	return b.String()
}

func TestApplyThenPlanIsEmptyAndReapplyWritesNothing(t *testing.T) {
	examples, _ := filepath.Glob("../../examples/*")
	for _, ex := range examples {
		if st, err := os.Stat(ex); err != nil || !st.IsDir() || filepath.Base(ex) == "github" {
			continue
		}
		t.Run(filepath.Base(ex), func(t *testing.T) {
			j := startJobDB(t)
			j.secretFiles = func(path string) ([]byte, error) { return []byte("secret-in-" + filepath.Base(path)), nil }
			set, _ := spec.Load(ex)
			for _, c := range set.Credentials {
				if c.SecretFrom.Env != "" {
					t.Setenv(c.SecretFrom.Env, "secret-of-"+c.Name)
				}
			}
			j.exec(t, "IF NOT EXISTS (SELECT * FROM sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##') CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Master-Key-1'")
			j.mustRun(t, 0, "apply", "--yes", "--scope", filepath.Base(ex), ex)
			exportThenPlan(t, j, set, filepath.Base(ex))
			versions := j.scalar(t, "SELECT SUM(job_version) FROM jobs.jobs")
			out := j.mustRun(t, 0, "plan", "--detailed-exitcode", "--scope", filepath.Base(ex), ex)
			if !strings.Contains(out, "No changes.") {
				t.Fatalf("plan after apply:\n%s", out)
			}
			j.em.ResetStats()
			j.mustRun(t, 0, "apply", "--yes", "--scope", filepath.Base(ex), ex)
			if n := j.procCalls(); n != 0 {
				t.Fatalf("re-apply made %d procedure calls", n)
			}
			if v := j.scalar(t, "SELECT SUM(job_version) FROM jobs.jobs"); fmt.Sprint(v) != fmt.Sprint(versions) {
				t.Fatalf("job versions moved from %v to %v", versions, v)
			}
		})
	}
}

// exportThenPlan exports the job database and plans the export: no changes. The exported
// credentials read their secrets from EJOPS_SECRET_* variables, set to the secrets applied.
func exportThenPlan(t *testing.T, j *jobDB, applied *spec.Set, scope string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export")
	j.mustRun(t, 0, "export", "--out", out)
	secrets := map[string]string{}
	for _, c := range applied.Credentials {
		secrets[c.Name] = os.Getenv(c.SecretFrom.Env)
		if c.SecretFrom.File != "" {
			b, _ := j.secretFiles(c.SecretFrom.File)
			secrets[c.Name] = string(b)
		}
	}
	exported, diags := spec.Load(out)
	if diags.HasErrors() {
		t.Fatalf("the export does not load: %v", diags)
	}
	for _, c := range exported.Credentials {
		t.Setenv(c.SecretFrom.Env, secrets[c.Name])
	}
	if plan := j.mustRun(t, 0, "plan", "--detailed-exitcode", "--scope", scope, out); !strings.Contains(plan, "No changes.") {
		t.Fatalf("plan on the export:\n%s", plan)
	}
}

func TestStepEditsAndPrune(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants,
		"job.yaml": jobSpec("nightly", "a", "b", "c"), "old.yaml": jobSpec("old", "x")})
	j.mustRun(t, 0, "apply", "--yes", dir)

	steps := func() string {
		rows, err := j.db.Query("SELECT step_name FROM jobs.jobsteps WHERE job_name = N'nightly' ORDER BY step_id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		return strings.Join(names, ",")
	}
	for _, tc := range []struct {
		name  string
		steps []string
		calls int
	}{
		{"reorder", []string{"c", "a", "b"}, 1},
		{"insert", []string{"c", "a", "new", "b"}, 1},
		{"delete", []string{"c", "new", "b"}, 1},
		{"rename", []string{"c", "new2", "b"}, 1},
	} {
		if err := os.WriteFile(filepath.Join(dir, "job.yaml"), []byte(jobSpec("nightly", tc.steps...)), 0o644); err != nil {
			t.Fatal(err)
		}
		j.mustRun(t, 2, "plan", "--detailed-exitcode", dir)
		j.em.ResetStats()
		j.mustRun(t, 0, "apply", "--yes", dir)
		if n := j.procCalls(); n != tc.calls {
			t.Errorf("%s: %d procedure calls, want %d", tc.name, n, tc.calls)
		}
		if got := steps(); got != strings.Join(tc.steps, ",") {
			t.Errorf("%s: steps %s, want %s", tc.name, got, strings.Join(tc.steps, ","))
		}
		j.mustRun(t, 0, "plan", "--detailed-exitcode", dir)
	}

	// Members: remove one, add one.
	tg := strings.Replace(tenants, "database: b", "database: c", 1)
	if err := os.WriteFile(filepath.Join(dir, "tg.yaml"), []byte(tg), 0o644); err != nil {
		t.Fatal(err)
	}
	j.em.ResetStats()
	j.mustRun(t, 0, "apply", "--yes", dir)
	if n := j.procCalls(); n != 2 {
		t.Errorf("member change: %d calls, want 2", n)
	}

	// A job that left the specs stays without --prune and goes with it.
	if err := os.Remove(filepath.Join(dir, "old.yaml")); err != nil {
		t.Fatal(err)
	}
	out := j.mustRun(t, 0, "apply", "--yes", dir)
	if !strings.Contains(out, "--prune") || j.scalar(t, "SELECT COUNT(*) FROM jobs.jobs WHERE job_name = N'old'").(int64) != 1 {
		t.Fatalf("without --prune the job must stay:\n%s", out)
	}
	j.mustRun(t, 0, "apply", "--yes", "--prune", dir)
	if n := j.scalar(t, "SELECT COUNT(*) FROM jobs.jobs WHERE job_name = N'old'").(int64); n != 0 {
		t.Fatalf("with --prune the job must go")
	}
}

func TestUnownedObjectsAreNeverTouched(t *testing.T) {
	j := startJobDB(t)
	j.exec(t, "EXEC jobs.sp_add_target_group N'handmade-tg'")
	j.exec(t, "EXEC jobs.sp_add_job @job_name = N'handmade', @description = N'by hand'")
	other := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("theirs", "a")})
	j.mustRun(t, 0, "apply", "--yes", "--scope", "other", other)

	mine := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "job.yaml": strings.Replace(jobSpec("mine", "a"), "tenants", "mine-tg", 1),
		"tg.yaml": strings.Replace(tenants, "name: tenants", "name: mine-tg", 1)})
	j.em.ResetStats()
	out := j.mustRun(t, 0, "apply", "--yes", "--prune", mine)
	for _, name := range []string{"handmade", "theirs"} {
		if n := j.scalar(t, "SELECT COUNT(*) FROM jobs.jobs WHERE job_name = @p1", name).(int64); n != 1 {
			t.Errorf("job %s was touched", name)
		}
	}
	if !strings.Contains(out, "handmade") || !strings.Contains(out, "does not manage") {
		t.Errorf("unmanaged objects are not listed:\n%s", out)
	}
	// Claiming another scope's job is refused.
	code, _, errOut := j.ejops(t, "apply", "--yes", writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("theirs", "a", "b")}))
	if code != 1 || !strings.Contains(errOut, `owned by scope "other"`) {
		t.Fatalf("claiming another scope's job: exit %d\n%s", code, errOut)
	}
}

func TestStalePlanIsRefused(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a")})
	planFile := filepath.Join(t.TempDir(), "plan.json")
	j.mustRun(t, 0, "plan", "--out", planFile, dir)
	j.exec(t, "EXEC jobs.sp_add_job @job_name = N'meanwhile'")
	code, _, errOut := j.ejops(t, "apply", "--yes", "--plan", planFile)
	if code != 1 || !strings.Contains(errOut, "changed since this plan was made") {
		t.Fatalf("stale plan: exit %d\n%s", code, errOut)
	}
	j.mustRun(t, 0, "plan", "--out", planFile, dir)
	j.mustRun(t, 0, "apply", "--yes", "--plan", planFile)
	j.mustRun(t, 0, "plan", "--detailed-exitcode", dir)
}

func TestCutConnectionLeavesJobDatabaseUnchanged(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a", "b", "c")})
	j.db.SetMaxIdleConns(0) // every check logs in afresh, after the cut
	cutAfterSteps := false
	for n := 1; ; n++ {
		if n > 100 {
			t.Fatal("apply never got through")
		}
		j.em.ResetStats()
		j.em.DropAfter(n)
		code, _, _ := j.ejops(t, "apply", "--yes", dir)
		j.em.DropAfter(-1)
		if code == 0 {
			break // the cut came after the commit
		}
		if j.em.Stats().Procs["jobs.sp_add_jobstep"] > 0 {
			cutAfterSteps = true
		}
		if c := j.scalar(t, "SELECT COUNT(*) FROM jobs.jobs").(int64); c != 0 {
			t.Fatalf("cut after %d requests: %d jobs left behind", n, c)
		}
		if c := j.scalar(t, "SELECT COUNT(*) FROM jobs.target_groups").(int64); c != 0 {
			t.Fatalf("cut after %d requests: %d target groups left behind", n, c)
		}
		if c := j.scalar(t, "SELECT COUNT(*) FROM sys.tables WHERE name = N'inventory'").(int64); c != 0 {
			t.Fatalf("cut after %d requests: the inventory table was left behind", n)
		}
	}
	if !cutAfterSteps {
		t.Fatal("no cut landed after the step calls: the test did not reach the later writes")
	}
	j.mustRun(t, 0, "plan", "--detailed-exitcode", dir)
}

func TestConcurrentAppliesAreSerialised(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a", "b")})
	j.em.SetDelay(5 * time.Millisecond) // slow replies make the two applies overlap
	defer j.em.SetDelay(0)
	codes := make(chan int, 2)
	for range 2 {
		go func() {
			code, _, _ := j.ejops(t, "apply", "--yes", dir)
			codes <- code
		}()
	}
	ok := 0
	for range 2 {
		if <-codes == 0 {
			ok++
		}
	}
	// The second apply waits for the first one's lock, plans again and finds nothing left to do.
	if ok != 2 {
		t.Fatalf("%d of 2 applies succeeded", ok)
	}
	if n := j.scalar(t, "SELECT COUNT(*) FROM jobs.jobsteps").(int64); n != 2 {
		t.Fatalf("%d steps, want 2", n)
	}
	j.mustRun(t, 0, "plan", "--detailed-exitcode", dir)
}

func TestAwkwardNamesRoundTripAndSecretsStayHidden(t *testing.T) {
	j := startJobDB(t)
	const sentinel = "S3ntinel-Secret-9f2c"
	t.Setenv("ODD_SECRET", sentinel)
	j.exec(t, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Master-Key-1'")
	names := []string{`it's "odd"`, "br]ack[et; DROP TABLE x;--", "ünïcødé-日本", "50_50 done"}
	files := map[string]string{"tg.yaml": tenants}
	var cred strings.Builder
	for i, n := range names {
		fmt.Fprintf(&cred, "---\napiVersion: ejops/v1\nkind: Credential\nmetadata: {name: %q}\nspec:\n  identity: %q\n  secretFrom: {env: ODD_SECRET}\n", n, n)
		files[fmt.Sprintf("job%d.yaml", i)] = strings.Replace(jobSpec(n, n), "command:", fmt.Sprintf("credential: %q\n      command:", n), 1)
	}
	files["cred.yaml"] = cred.String()
	dir := writeSpecs(t, files)
	planFile := filepath.Join(t.TempDir(), "plan.json")
	_, out1, err1 := j.ejops(t, "plan", "--out", planFile, dir)
	code, out2, err2 := j.ejops(t, "apply", "--yes", dir)
	if code != 0 {
		t.Fatalf("apply: %d\n%s\n%s", code, out2, err2)
	}
	j.mustRun(t, 0, "plan", "--detailed-exitcode", dir)
	for _, n := range names {
		if c := j.scalar(t, "SELECT COUNT(*) FROM jobs.jobs WHERE job_name = @p1", n).(int64); c != 1 {
			t.Errorf("job %q did not round-trip", n)
		}
		if c := j.scalar(t, "SELECT COUNT(*) FROM sys.database_scoped_credentials WHERE name = @p1", n).(int64); c != 1 {
			t.Errorf("credential %q did not round-trip", n)
		}
	}
	exportDir := filepath.Join(t.TempDir(), "export")
	_, out3, err3 := j.ejops(t, "export", "--out", exportDir)
	planBytes, _ := os.ReadFile(planFile)
	everything := out1 + err1 + out2 + err2 + out3 + err3 + string(planBytes) + j.logs.String()
	if !strings.Contains(j.logs.String(), "sp_add_job") {
		t.Fatal("the emulator logged no requests: the log check would prove nothing")
	}
	_ = filepath.WalkDir(exportDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			everything += string(b)
		}
		return nil
	})
	if strings.Contains(everything, sentinel) {
		t.Fatal("the secret appeared in output, a plan file, exported specs or the emulator's log")
	}
	// Changing the secret is detected and applied with ALTER.
	t.Setenv("ODD_SECRET", sentinel+"-rotated")
	out := j.mustRun(t, 2, "plan", "--detailed-exitcode", dir)
	if !strings.Contains(out, "(sensitive)") || strings.Contains(out, sentinel) {
		t.Fatalf("secret rotation plan:\n%s", out)
	}
}

func TestExportThenPlanIsEmpty(t *testing.T) {
	j := startJobDB(t)
	// A job database built by hand, the way Microsoft's tutorial does it.
	for _, q := range []string{
		"EXEC jobs.sp_add_target_group @target_group_name = N'ServerGroup1'",
		"EXEC jobs.sp_add_target_group_member @target_group_name = N'ServerGroup1', @target_type = N'SqlServer', @server_name = N'server1.database.windows.net'",
		"EXEC jobs.sp_add_target_group_member @target_group_name = N'ServerGroup1', @membership_type = N'Exclude', @target_type = N'SqlDatabase', @server_name = N'server1.database.windows.net', @database_name = N'MappingDB'",
		"EXEC jobs.sp_add_job @job_name = N'CreateTableTest', @description = N'Create Table Test'",
		"EXEC jobs.sp_add_jobstep @job_name = N'CreateTableTest', @command = N'IF NOT EXISTS (SELECT * FROM sys.tables WHERE object_id = object_id(''Test'')) CREATE TABLE [dbo].[Test]([TestId] [int] NOT NULL);', @target_group_name = N'ServerGroup1'",
		"EXEC jobs.sp_add_job @job_name = N'ResultsPoolsJob', @description = N'Demo', @enabled = 1, @schedule_interval_type = N'Minutes', @schedule_interval_count = 15, @schedule_start_time = '2026-01-01T00:00:00'",
		"EXEC jobs.sp_add_jobstep @job_name = N'ResultsPoolsJob', @command = N'SELECT DB_NAME() AS DatabaseName;', @target_group_name = N'ServerGroup1', @retry_attempts = 3, @step_timeout_seconds = 600, @max_parallelism = 4, @output_type = N'SqlDatabase', @output_server_name = N'server1.database.windows.net', @output_database_name = N'results', @output_table_name = N'dbsizes'",
	} {
		j.exec(t, q)
	}
	dir := filepath.Join(t.TempDir(), "exported")
	j.mustRun(t, 0, "export", "--out", dir)
	out := j.mustRun(t, 0, "plan", "--detailed-exitcode", dir)
	if !strings.Contains(out, "No changes.") {
		t.Fatalf("plan on the export:\n%s", out)
	}
}

func TestCredentialWithoutMasterKeyRollsBackWithAHint(t *testing.T) {
	j := startJobDB(t)
	t.Setenv("CRED_SECRET", "pw")
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a"),
		"cred.yaml": "apiVersion: ejops/v1\nkind: Credential\nmetadata: {name: c}\nspec:\n  identity: u\n  secretFrom: {env: CRED_SECRET}\n"})
	code, _, errOut := j.ejops(t, "apply", "--yes", dir)
	if code != 1 || !strings.Contains(errOut, "CREATE MASTER KEY") || !strings.Contains(errOut, "nothing was applied") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if n := j.scalar(t, "SELECT COUNT(*) FROM jobs.jobs").(int64); n != 0 {
		t.Fatalf("%d jobs applied", n)
	}
}

// TestOneFieldOneCall edits one field at a time through the CLI: plan shows exactly that field and
// apply makes exactly the calls it needs, then plan is clean.
func TestOneFieldOneCall(t *testing.T) {
	j := startJobDB(t)
	t.Setenv("CRED_SECRET", "first")
	j.exec(t, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Master-Key-1'")
	const base = `apiVersion: ejops/v1
kind: Credential
metadata: {name: refresh}
spec: {identity: refresher, secretFrom: {env: CRED_SECRET}}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: tenants}
spec:
  members:
    - {server: t1.database.windows.net, refreshCredential: refresh}
---
apiVersion: ejops/v1
kind: Job
metadata: {name: nightly}
spec:
  description: statistics
  enabled: true
  schedule: {every: 1d, start: 2099-01-01T02:00:00Z}
  steps:
    - name: stats
      targetGroup: tenants
      command: EXEC sp_updatestats;
      timeout: 2h
      retry: {attempts: 3, initialInterval: 5s, maxInterval: 2m, backoffMultiplier: 2}
      maxParallelism: 4
      output: {server: r.database.windows.net, database: reports, table: runs}
`
	agent := "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: a}\nspec: {authentication: ManagedIdentity}\n"
	dir := writeSpecs(t, map[string]string{"specs.yaml": base, "agent.yaml": agent})
	j.mustRun(t, 0, "apply", "--yes", dir)
	cases := []struct {
		name, old, new, field string
		calls                 int
	}{
		{"description", "description: statistics", "description: stats", "description", 1},
		{"enabled", "enabled: true", "enabled: false", "enabled", 1},
		{"interval", "every: 1d", "every: 2d", "schedule", 1},
		{"start", "start: 2099-01-01T02:00:00Z", "start: 2099-01-02T02:00:00Z", "start", 1},
		{"end", "start: 2099-01-02T02:00:00Z", "start: 2099-01-02T02:00:00Z, end: 2100-01-01T00:00:00Z", "end", 1},
		{"command", "EXEC sp_updatestats;", "EXEC sp_updatestats @resample = 'resample';", "command", 1},
		{"timeout", "timeout: 2h", "timeout: 3h", "timeout", 1},
		{"attempts", "attempts: 3", "attempts: 4", "retry.attempts", 1},
		{"initialInterval", "initialInterval: 5s", "initialInterval: 10s", "retry.initialInterval", 1},
		{"maxInterval", "maxInterval: 2m", "maxInterval: 3m", "retry.maxInterval", 1},
		{"multiplier", "backoffMultiplier: 2}", "backoffMultiplier: 3}", "retry.backoffMultiplier", 1},
		{"maxParallelism cleared", "      maxParallelism: 4\n", "", "maxParallelism", 1},
		{"output table", "table: runs", "table: runs2", "output", 1},
		{"output cleared", "      output: {server: r.database.windows.net, database: reports, table: runs2}\n", "", "output", 1},
		{"identity", "identity: refresher", "identity: refresher2", "identity", 1},
		{"member membership", "refreshCredential: refresh}", "refreshCredential: refresh, membership: Exclude}", "member", 2},
	}
	spec := base
	for _, c := range cases {
		if !strings.Contains(spec, c.old) {
			t.Fatalf("%s: %q not in the spec", c.name, c.old)
		}
		spec = strings.Replace(spec, c.old, c.new, 1)
		if err := os.WriteFile(filepath.Join(dir, "specs.yaml"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		plan := j.mustRun(t, 2, "plan", "--detailed-exitcode", dir)
		if !strings.Contains(plan, c.field) || !strings.Contains(plan, "1 to change") {
			t.Errorf("%s: plan does not show one change of %s:\n%s", c.name, c.field, plan)
		}
		j.em.ResetStats()
		j.mustRun(t, 0, "apply", "--yes", dir)
		calls := j.procCalls()
		if c.field == "identity" {
			calls = 1 // ALTER DATABASE SCOPED CREDENTIAL is a statement, not a procedure
			if n := j.procCalls(); n != 0 {
				t.Errorf("identity: %d procedure calls, want none", n)
			}
		}
		if calls != c.calls {
			t.Errorf("%s: %d procedure calls, want %d", c.name, calls, c.calls)
		}
		j.mustRun(t, 0, "plan", "--detailed-exitcode", dir)
	}
}

// TestOwnedObjectDeletedByHandIsCreatedAgain: apply, delete the job and its target group by hand,
// apply again: both come back and the inventory keeps one row each.
func TestOwnedObjectDeletedByHandIsCreatedAgain(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a")})
	j.mustRun(t, 0, "apply", "--yes", dir)
	j.exec(t, "EXEC jobs.sp_delete_job @job_name = N'nightly'")
	j.exec(t, "EXEC jobs.sp_delete_target_group @target_group_name = N'tenants'")
	out := j.mustRun(t, 0, "apply", "--yes", dir)
	if !strings.Contains(out, "Plan: 2 to add") {
		t.Fatalf("apply after the deletes:\n%s", out)
	}
	j.mustRun(t, 0, "plan", "--detailed-exitcode", dir)
	if n := j.scalar(t, "SELECT COUNT(*) FROM ejops.inventory").(int64); n != 2 {
		t.Fatalf("%d inventory rows, want 2", n)
	}
}

// TestApplyWaitsForTheLock: while another session holds the apply lock, apply gives up after
// --lock-wait and changes nothing; once the lock is free it goes through.
func TestApplyWaitsForTheLock(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a")})
	ctx := context.Background()
	holder, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rc mssql.ReturnStatus
	if _, err := holder.ExecContext(ctx, "sp_getapplock", sql.Named("Resource", "ejops.apply"), sql.Named("LockMode", "Exclusive"),
		sql.Named("LockOwner", "Transaction"), &rc); err != nil || rc < 0 {
		t.Fatalf("take the lock: %d, %v", rc, err)
	}
	code, _, errOut := j.ejops(t, "apply", "--yes", "--lock-wait", "200ms", dir)
	if code != 1 || !strings.Contains(errOut, "another apply still holds it after 200ms") {
		t.Fatalf("apply while the lock is held: exit %d\n%s", code, errOut)
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := j.scalar(t, "SELECT COUNT(*) FROM jobs.jobs").(int64); n != 0 {
		t.Fatalf("%d jobs applied while the lock was held", n)
	}
	j.mustRun(t, 0, "apply", "--yes", "--lock-wait", "200ms", dir)
}

// TestDatabaseTimeout: a job database slower than --db-timeout fails the command with a clear
// error instead of hanging.
func TestDatabaseTimeout(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a")})
	j.em.SetDelay(2 * time.Second)
	defer j.em.SetDelay(0)
	start := time.Now()
	code, _, errOut := j.ejops(t, "plan", "--db-timeout", "200ms", dir)
	if code != 1 || !strings.Contains(errOut, "read job database") {
		t.Fatalf("plan against a slow job database: exit %d\n%s", code, errOut)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("plan took %s with a 200ms timeout", d)
	}
}

// TestLostCommitIsNotCalledRolledBack: a connection lost during COMMIT leaves the outcome unknown to
// the client, and apply says so instead of claiming a rollback.
func TestLostCommitIsNotCalledRolledBack(t *testing.T) {
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a")})
	probe := startJobDB(t)
	probe.em.ResetStats()
	probe.mustRun(t, 0, "apply", "--yes", dir)
	requests := probe.em.Stats().RoundTrips

	j := startJobDB(t)
	j.em.ResetStats()
	j.em.DropAfter(int(requests) - 1) // the last request of the apply is its COMMIT
	code, _, errOut := j.ejops(t, "apply", "--yes", dir)
	if code != exitFailure || !strings.Contains(errOut, "may or may not have been committed; run plan") || strings.Contains(errOut, "rolled back") {
		t.Fatalf("apply with its COMMIT lost: exit %d\n%s", code, errOut)
	}
}
