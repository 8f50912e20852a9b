package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner"
)

// runFleet is the simulated estate of the run tests: two servers, an elastic pool, a database
// the target groups exclude, injected failures and a slow database. Attempts are short so the
// tests stay fast; those of flaky last a second, so that polls (at most a second apart) see each.
const runFleet = `authentication: ManagedIdentity
defaults: {duration: 100ms}
servers:
  - name: s1.database.windows.net
    databases:
      - ok-1
      - name: flaky
        duration: 1s
        failure: {message: "Transaction (Process ID 71) was deadlocked on lock resources.", number: 1205, attempts: 2}
      - name: broken
        failure: {message: "Invalid object name 'dbo.missing'.", number: 208, always: true}
      - name: slow
        duration: 3s
      - name: slower
        duration: 30s
      - excluded
    elasticPools:
      - name: pool-a
        databases: [tenant-1, tenant-2]
  - name: s2.database.windows.net
    databases: [ok-2]
`

// runSpecs has one job per scenario.
var runSpecs = map[string]string{
	"agent.yaml": miAgent,
	"groups.yaml": `apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: healthy}
spec:
  members:
    - {server: s1.database.windows.net}
    - {server: s1.database.windows.net, database: flaky, membership: Exclude}
    - {server: s1.database.windows.net, database: broken, membership: Exclude}
    - {server: s1.database.windows.net, database: slow, membership: Exclude}
    - {server: s1.database.windows.net, database: slower, membership: Exclude}
    - {server: s1.database.windows.net, database: excluded, membership: Exclude}
    - {server: s2.database.windows.net}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: retrying}
spec:
  members:
    - {server: s1.database.windows.net, database: flaky}
    - {server: s2.database.windows.net, database: ok-2}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: failing}
spec:
  members:
    - {server: s1.database.windows.net, database: broken}
    - {server: s1.database.windows.net, database: ok-1}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: slow}
spec:
  members:
    - {server: s1.database.windows.net, database: slow}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: slower}
spec:
  members:
    - {server: s1.database.windows.net, database: slower}
`,
	"jobs.yaml": runJob("all-good", "healthy", "") + "---\n" +
		runJob("retrying", "retrying", "retry: {attempts: 3, initialInterval: 0s, maxInterval: 0s}") + "---\n" +
		runJob("failing", "failing", "retry: {attempts: 1, initialInterval: 0s, maxInterval: 0s}") + "---\n" +
		runJob("timeout", "slow", "timeout: 1s") + "---\n" +
		runJob("long", "slow", "") + "---\n" +
		runJob("longer", "slower", ""),
}

func runJob(name, group, extra string) string {
	s := fmt.Sprintf("apiVersion: ejops/v1\nkind: Job\nmetadata: {name: %s}\nspec:\n  description: run test\n  steps:\n"+
		"    - name: check\n      targetGroup: %s\n      command: SELECT 1;\n", name, group)
	if extra != "" {
		s += "      " + extra + "\n"
	}
	return s
}

// startRunJobDB serves an emulator over TCP whose agent runs over fleet, with specs applied.
func startRunJobDB(t *testing.T, fleet string, specs map[string]string) *jobDB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(fleet), 0o644); err != nil {
		t.Fatal(err)
	}
	em, err := emulator.New(emulator.Options{User: "ejops", Password: "run-pw", Fleet: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := em.Listen("127.0.0.1:0")
	if err != nil {
		em.Close()
		t.Fatal(err)
	}
	db, err := sql.Open("sqlserver", em.DSN(addr))
	if err != nil {
		em.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		em.Close()
	})
	j := &jobDB{em: em, dsn: em.DSN(addr), db: db, logs: &syncBuffer{}}
	j.mustRun(t, 0, "apply", "--yes", writeSpecs(t, specs))
	return j
}

// binary is the ejops binary (the test binary under that name, see TestMain) on the job database.
func (j *jobDB) binary(args ...string) *exec.Cmd {
	cmd := exec.Command("ejops", args...)
	cmd.Env = append(os.Environ(), "EJOPS_JOB_DB="+j.dsn, "NO_COLOR=1")
	return cmd
}

// runBinary runs ejops with stdout and stderr on pipes and returns the exit code and both outputs.
func (j *jobDB) runBinary(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := j.binary(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return exitCode(t, cmd.Run()), stdout.String(), stderr.String()
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// noControl fails when s holds a control character other than a line feed.
func noControl(t *testing.T, what, s string) {
	t.Helper()
	for _, r := range s {
		if (r < ' ' && r != '\n') || r == 0x7f {
			t.Fatalf("%s holds control character %q:\n%q", what, r, s)
		}
	}
}

var executionID = regexp.MustCompile(`execution ([0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})`)

// lifecycle is the lifecycle of an execution's job-level row.
func (j *jobDB) lifecycle(t *testing.T, id string) string {
	t.Helper()
	return fmt.Sprint(j.scalar(t, "SELECT lifecycle FROM jobs.job_executions WHERE job_execution_id = @p1 AND step_id IS NULL", id))
}

func TestRunWaitSucceedsOnEveryTarget(t *testing.T) {
	t.Parallel()
	j := startRunJobDB(t, runFleet, runSpecs)
	code, out, errOut := j.runBinary(t, "run", "--wait", "all-good")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, db := range []string{"s1.database.windows.net/ok-1", "s1.database.windows.net/tenant-1", "s1.database.windows.net/tenant-2", "s2.database.windows.net/ok-2"} {
		if !regexp.MustCompile(`(?m)^  Succeeded +` + regexp.QuoteMeta(db) + ` +1 attempt `).MatchString(out) {
			t.Errorf("summary lacks %s succeeded:\n%s", db, out)
		}
	}
	for _, absent := range []string{"/excluded", "/flaky", "/broken", "/slow", "/slower"} {
		if strings.Contains(out, absent) {
			t.Errorf("summary names %s, which the target group leaves out:\n%s", absent, out)
		}
	}
	if !strings.Contains(out, "Succeeded: 4 database runs over 1 step.") || !strings.Contains(out, "(server enumeration)  1 attempt") {
		t.Errorf("summary:\n%s", out)
	}
	// On pipes: one line per transition, no control characters anywhere.
	if !strings.Contains(errOut, "s2.database.windows.net/ok-2 (step 1 check): Succeeded\n") ||
		!strings.Contains(errOut, "job all-good: Succeeded\n") {
		t.Errorf("transitions:\n%s", errOut)
	}
	noControl(t, "stderr", errOut)
	noControl(t, "stdout", out)
}

func TestRunWaitRetriedDatabaseSucceeds(t *testing.T) {
	t.Parallel()
	j := startRunJobDB(t, runFleet, runSpecs)
	code, out, errOut := j.runBinary(t, "run", "--wait", "retrying")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !regexp.MustCompile(`(?m)^  Succeeded +s1\.database\.windows\.net/flaky +3 attempts `).MatchString(out) {
		t.Errorf("summary does not show the attempts:\n%s", out)
	}
	if !strings.Contains(errOut, "s1.database.windows.net/flaky (step 1 check): InProgress, attempt 2: Msg 1205, Level 16, State 1, Line 1: Transaction (Process ID 71) was deadlocked") {
		t.Errorf("transitions do not show the failed attempt:\n%s", errOut)
	}
}

func TestRunWaitFailingDatabase(t *testing.T) {
	t.Parallel()
	j := startRunJobDB(t, runFleet, runSpecs)
	code, out, errOut := j.runBinary(t, "run", "--wait", "failing")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"Failed     s1.database.windows.net/broken  2 attempts",
		"Msg 208, Level 16, State 1, Line 1: Invalid object name 'dbo.missing'.\n",
		"Failed on 1 target:\n  s1.database.windows.net/broken (step 1 check): Failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	id := executionID.FindStringSubmatch(errOut)
	if id == nil {
		t.Fatalf("no execution id on stderr:\n%s", errOut)
	}

	// The same tree, as executions --id shows it, in JSON checked against its documented shape.
	code, doc, errOut := j.runBinary(t, "executions", "--id", id[1], "--format", "json")
	if code != 0 {
		t.Fatalf("executions --id: exit %d\n%s", code, errOut)
	}
	checkRunDocument(t, doc, id[1])

	// JUnit, checked against the schema.
	code, report, errOut := j.runBinary(t, "executions", "--id", id[1], "--format", "junit")
	if code != 0 {
		t.Fatalf("executions --id --format junit: exit %d\n%s", code, errOut)
	}
	checkJUnit(t, report, `tests="2" failures="1" errors="0" skipped="0"`)
	if !strings.Contains(report, `<failure type="Failed" message="Msg 208, Level 16, State 1, Line 1: Invalid object name &#39;dbo.missing&#39;.">`) {
		t.Errorf("report:\n%s", report)
	}

	// The listing counts databases by lifecycle; --status filters.
	code, list, _ := j.runBinary(t, "executions", "--status", "failed", "failing")
	if code != 0 || !strings.Contains(list, id[1]) || !strings.Contains(list, "1 Succeeded, 1 Failed") {
		t.Errorf("executions --status failed: exit %d\n%s", code, list)
	}
	if code, list, _ := j.runBinary(t, "executions", "--status", "succeeded", "failing"); code != 0 || strings.Contains(list, id[1]) {
		t.Errorf("executions --status succeeded lists a failed execution:\n%s", list)
	}
}

// checkRunDocument decodes a run document strictly: every documented key, no other.
func checkRunDocument(t *testing.T, doc, id string) {
	t.Helper()
	type target struct {
		Type, Server, Database, Lifecycle, LastMessage string
		Active                                         bool
		Attempts                                       int
		StartTime, EndTime, NextAttemptTime            *time.Time
		DurationSeconds                                float64
	}
	type step struct {
		StepID                                        int
		StepName, TargetGroup, Lifecycle, LastMessage string
		Active                                        bool
		StartTime, EndTime                            *time.Time
		DurationSeconds                               float64
		Targets                                       []target
	}
	var d struct {
		FormatVersion, ExecutionID, Job, Lifecycle, LastMessage string
		JobVersion                                              int
		Active, Succeeded                                       bool
		CreateTime, StartTime, EndTime                          *time.Time
		DurationSeconds                                         float64
		TargetCounts                                            map[string]int
		Steps                                                   []step
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal([]byte(doc), &keys)
	if len(keys) != 14 {
		t.Errorf("document has %d keys, want the 14 documented:\n%s", len(keys), doc)
	}
	if d.FormatVersion != "1" || d.ExecutionID != id || d.Job != "failing" || d.Lifecycle != runner.LifecycleFailed || d.Succeeded ||
		d.EndTime == nil || d.TargetCounts["Failed"] != 1 || d.TargetCounts["Succeeded"] != 1 || len(d.Steps) != 1 {
		t.Fatalf("document:\n%s", doc)
	}
	s := d.Steps[0]
	if s.StepID != 1 || s.StepName != "check" || s.TargetGroup != "failing" || len(s.Targets) != 2 ||
		s.Targets[0].Database != "broken" || s.Targets[0].Attempts != 2 || !strings.Contains(s.Targets[0].LastMessage, "dbo.missing") {
		t.Fatalf("step:\n%s", doc)
	}
}

// checkJUnit validates a JUnit report against the schema in testdata with xmllint, and checks
// its totals.
func checkJUnit(t *testing.T, report, totals string) {
	t.Helper()
	if !strings.Contains(report, "<testsuites name=") || !strings.Contains(report, totals) {
		t.Fatalf("report totals, want %s:\n%s", totals, report)
	}
	requireTool(t, "xmllint", "libxml2-utils")
	path := filepath.Join(t.TempDir(), "report.xml")
	if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--schema", "internal/view/testdata/junit.xsd", path).CombinedOutput()
	if err != nil {
		t.Fatalf("the report does not validate: %v\n%s\n%s", err, out, report)
	}
}

func TestRunWaitStepTimeout(t *testing.T) {
	t.Parallel()
	j := startRunJobDB(t, runFleet, runSpecs)
	code, out, errOut := j.runBinary(t, "run", "--wait", "timeout")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if !regexp.MustCompile(`(?m)^  TimedOut +s1\.database\.windows\.net/slow +1 attempt +1s +The step timed out after 1 seconds\.$`).MatchString(out) ||
		!strings.Contains(out, "TimedOut on 1 target:\n  s1.database.windows.net/slow (step 1 check): TimedOut\n") {
		t.Errorf("summary:\n%s", out)
	}
}

// startFollowing starts `ejops run --wait JOB` in the background and returns it once it printed
// the execution id, with its outputs.
func (j *jobDB) startFollowing(t *testing.T, args ...string) (cmd *exec.Cmd, id string, stdout, stderr *syncBuffer) {
	t.Helper()
	cmd = j.binary(append([]string{"run", "--wait"}, args...)...)
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		// Wait for the first poll too: the execution is running on its database.
		if m := executionID.FindStringSubmatch(stderr.String()); m != nil && strings.Contains(stderr.String(), "InProgress") {
			return cmd, m[1], stdout, stderr
		}
	}
	t.Fatalf("no execution started:\n%s", stderr.String())
	return
}

func TestRunCanceledWhileRunning(t *testing.T) {
	t.Parallel()
	j := startRunJobDB(t, runFleet, runSpecs)
	cmd, id, stdout, stderr := j.startFollowing(t, "long")
	code, out, errOut := j.runBinary(t, "stop", "--wait", id)
	if code != 0 || !strings.Contains(out, "execution "+id+": Canceled") {
		t.Fatalf("stop --wait: exit %d\n%s\n%s", code, out, errOut)
	}
	if code := exitCode(t, cmd.Wait()); code != 1 {
		t.Fatalf("the followed run exited %d, want 1\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "Canceled on 1 target:\n  s1.database.windows.net/slow (step 1 check): Canceled\n") {
		t.Fatalf("run summary:\n%s", stdout.String())
	}
	if code, _, errOut := j.runBinary(t, "stop", "6F9619FF-8B86-D011-B42D-00C04FC964FF"); code != 1 || !strings.Contains(errOut, "no such execution") {
		t.Fatalf("stopping an unknown execution: exit %d\n%s", code, errOut)
	}
}

func TestRunStartedWhilePreviousRuns(t *testing.T) {
	t.Parallel()
	j := startRunJobDB(t, runFleet, runSpecs)
	code, first, errOut := j.runBinary(t, "run", "longer")
	first = strings.TrimSpace(first)
	if code != 0 || executionID.FindString("execution "+first) == "" {
		t.Fatalf("run without --wait prints the execution id: exit %d %q\n%s", code, first, errOut)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n := j.scalar(t, "SELECT COUNT(*) FROM jobs.job_executions WHERE job_execution_id = @p1 AND target_type = N'SqlDatabase' AND lifecycle = N'InProgress'", first)
		if fmt.Sprint(n) == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first execution never ran")
		}
	}
	code, out, errOut := j.runBinary(t, "run", "--wait", "longer")
	if code != 0 {
		t.Fatalf("exit %d, want 0 (SucceededWithSkipped)\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		": SucceededWithSkipped",
		"Succeeded with 1 database skipped:\n  s1.database.windows.net/slower (step 1 check): Skipped: Skipped: another execution of this job step is already running on this target.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	id := executionID.FindStringSubmatch(errOut)[1]
	code, report, _ := j.runBinary(t, "executions", "--id", id, "--format", "junit")
	if code != 0 {
		t.Fatal(code)
	}
	checkJUnit(t, report, `tests="1" failures="0" errors="0" skipped="1"`)
	if l := j.lifecycle(t, first); l != runner.LifecycleInProgress && l != runner.LifecycleWaitingForChildren {
		t.Fatalf("the first execution is %s", l)
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	j := startRunJobDB(t, runFleet, runSpecs)

	// Once: stop following, say how to cancel; the execution goes on.
	cmd, id, _, stderr := j.startFollowing(t, "long")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd.Wait()); code != 130 {
		t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "Cancel it with: ejops stop "+id+"\n") {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
	if l := j.lifecycle(t, id); l == runner.LifecycleCanceled {
		t.Fatal("interrupting without --cancel-on-interrupt canceled the execution")
	}
	j.mustRun(t, 0, "stop", "--wait", id) // the next run of the job must not be skipped

	// With --cancel-on-interrupt: cancel and wait for Canceled.
	cmd, id, stdout, stderr := j.startFollowing(t, "--cancel-on-interrupt", "long")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd.Wait()); code != 130 {
		t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
	}
	if l := j.lifecycle(t, id); l != runner.LifecycleCanceled || !strings.Contains(stdout.String(), ": Canceled") {
		t.Fatalf("execution %s\n%s\n%s", l, stdout.String(), stderr.String())
	}

	// Twice: exit at once, even while the job database does not answer.
	cmd, _, _, stderr = j.startFollowing(t, "--cancel-on-interrupt", "long")
	j.em.SetDelay(time.Minute)
	defer j.em.SetDelay(0)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd.Wait()); code != 130 || time.Since(start) > 2*time.Second {
		t.Fatalf("exit %d after %s, want 130 at once\n%s", code, time.Since(start), stderr.String())
	}
}

// readPTY copies everything the terminal shows until its other side closes.
func readPTY(ptmx *os.File) (screen *syncBuffer, done <-chan struct{}) {
	screen = &syncBuffer{}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		_, _ = io.Copy(screen, ptmx)
	}()
	return screen, ch
}

func TestRunProgressRedrawsInPlaceOnATerminal(t *testing.T) {
	t.Parallel()
	j := startRunJobDB(t, runFleet, runSpecs)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	screen, done := readPTY(ptmx)
	cmd := j.binary("run", "--wait", "long")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, tty
	err = cmd.Run()
	tty.Close()
	<-done
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("exit %d\n%q", code, screen.String())
	}
	got := screen.String()
	// One line for the start; then every poll redraws the progress line in place, and the end
	// clears it.
	if n := strings.Count(got, "\n"); n != 1 {
		t.Fatalf("%d lines on the terminal, want 1 (no line per poll):\n%q", n, got)
	}
	if n := strings.Count(got, "\r0:0"); n < 3 || !strings.Contains(got, " long step 1 check: 0 ok, 0 failed, 1 running, 0 retrying\x1b[K") ||
		!strings.HasSuffix(got, "\r\x1b[K") {
		t.Fatalf("%d redraws:\n%q", n, got)
	}
	noControl(t, "stdout", stdout.String())
}

// TestRunPollsOnceWhateverTheTargets follows a run over 500 databases on a terminal, where every
// poll redraws the progress line, and counts the requests the emulator served: the start, then
// one per poll.
func TestRunPollsOnceWhateverTheTargets(t *testing.T) {
	t.Parallel()
	var fleet strings.Builder
	fleet.WriteString("authentication: ManagedIdentity\ndefaults: {duration: 1500ms}\nservers:\n  - name: s1.database.windows.net\n    elasticPools:\n      - name: big\n        databases:\n")
	for i := range 500 {
		fmt.Fprintf(&fleet, "          - t-%03d\n", i)
	}
	j := startRunJobDB(t, fleet.String(), map[string]string{
		"agent.yaml": miAgent,
		"group.yaml": "apiVersion: ejops/v1\nkind: TargetGroup\nmetadata: {name: many}\nspec:\n  members:\n    - {server: s1.database.windows.net, elasticPool: big}\n",
		"job.yaml":   runJob("many", "many", ""),
	})
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	screen, done := readPTY(ptmx)
	var stdout bytes.Buffer
	j.em.ResetStats()
	code := run(&env{stdin: strings.NewReader(""), stdout: &stdout, stderr: tty, getenv: os.Getenv, readFile: runner.ReadSecretFile},
		[]string{"run", "--wait", "--job-db", j.dsn, "many"})
	requests := j.em.Stats().RoundTrips
	tty.Close()
	<-done
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%q", code, stdout.String(), screen.String())
	}
	if n := strings.Count(stdout.String(), "Succeeded  s1.database.windows.net/t-"); n != 500 {
		t.Fatalf("%d databases succeeded, want 500", n)
	}
	polls := strings.Count(screen.String(), "\x1b[K") - 1 // the last one clears the line
	if polls < 2 || requests != int64(1+polls) {
		t.Fatalf("%d polls took %d requests after the start; want one each", polls, requests-1)
	}
}

func TestRunUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"run: name one job (ejops run [flags] JOB)":                              {"run"},
		"run: --format junit needs --wait":                                       {"run", "--format", "junit", "nightly"},
		"run: --cancel-on-interrupt needs --wait":                                {"run", "--cancel-on-interrupt", "nightly"},
		"run: unknown --format \"xml\"":                                          {"run", "--wait", "--format", "xml", "nightly"},
		"executions: unknown --status \"broken\"":                                {"executions", "--status", "broken"},
		"executions: --id: \"42\" is not an execution id":                        {"executions", "--id", "42"},
		"executions: --id shows one execution; it takes no JOB":                  {"executions", "--id", "6F9619FF-8B86-D011-B42D-00C04FC964FF", "nightly"},
		"executions: unknown --format \"junit\" (text or json; junit with --id)": {"executions", "--format", "junit"},
		"executions: --last must be between 1 and 1000":                          {"executions", "--last", "0"},
		"stop: name one execution id":                                            {"stop"},
		"stop: \"nope\" is not an execution id":                                  {"stop", "nope"},
	}
	for want, args := range cases {
		var stderr bytes.Buffer
		code := Main(args, strings.NewReader(""), io.Discard, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), want) {
			t.Errorf("ejops %s: exit %d, stderr %q; want 64 and %q", strings.Join(args, " "), code, stderr.String(), want)
		}
	}
}

// TestRunEmbedded runs a job on the embedded job database, whose agent runs the execution while
// the command has it open, over the fleet.yaml beside its state file.
func TestRunEmbedded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fleet.yaml"), []byte(runFleet), 0o644); err != nil {
		t.Fatal(err)
	}
	state := "embedded:" + filepath.Join(dir, "jobdb.json")
	specs := writeSpecs(t, runSpecs)
	ejops := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append(args[:1:1], append([]string{"--job-db", state}, args[1:]...)...), strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, _, errOut := ejops("apply", "--yes", specs); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, errOut)
	}
	code, out, errOut := ejops("run", "--wait", "failing")
	if code != 1 || !strings.Contains(out, "Failed on 1 target:\n  s1.database.windows.net/broken") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := ejops("executions"); code != 0 || !strings.Contains(out, "failing") {
		t.Fatalf("executions: exit %d\n%s", code, out)
	}
}

func TestRunWaitGivesUpAfterTimeout(t *testing.T) {
	t.Parallel()
	j := startRunJobDB(t, runFleet, runSpecs)
	start := time.Now()
	code, out, errOut := j.runBinary(t, "run", "--wait", "--timeout", "1s", "--format", "json", "long")
	if code != 1 || time.Since(start) > 2500*time.Millisecond {
		t.Fatalf("exit %d after %s, want 1 after about 1s\n%s", code, time.Since(start), errOut)
	}
	id := executionID.FindStringSubmatch(errOut)[1]
	if !strings.Contains(errOut, "gave up waiting after 1s (--timeout); execution "+id+" goes on.\nCancel it with: ejops stop "+id+"\n") {
		t.Fatalf("stderr:\n%s", errOut)
	}
	var doc struct{ Active bool }
	if err := json.Unmarshal([]byte(out), &doc); err != nil || !doc.Active {
		t.Fatalf("the document shows the execution as last read, still active: %v\n%s", err, out)
	}
	if l := j.lifecycle(t, id); l == runner.LifecycleCanceled || l == runner.LifecycleSucceeded {
		t.Fatalf("the execution is %s; --timeout must leave it running", l)
	}
}

// TestApplyRunChanged: apply --run-changed starts the jobs the apply created or changed, follows
// them, and fails when one of them fails; unchanged jobs are not started.
func TestApplyRunChanged(t *testing.T) {
	j := startRunJobDB(t, runFleet, runSpecs)
	specs := map[string]string{}
	for k, v := range runSpecs {
		specs[k] = v
	}
	specs["jobs.yaml"] = strings.Replace(runSpecs["jobs.yaml"], "metadata: {name: all-good}\nspec:\n  description: run test", "metadata: {name: all-good}\nspec:\n  description: run test, changed", 1)
	specs["new.yaml"] = runJob("new-good", "retrying", "retry: {attempts: 3, initialInterval: 0s, maxInterval: 0s}")
	dir := writeSpecs(t, specs)
	out := j.mustRun(t, exitOK, "apply", "--yes", "--run-changed", dir)
	for _, want := range []string{"Apply complete: 1 added, 1 changed", "all-good", "new-good", "Succeeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply --run-changed output lacks %q:\n%s", want, out)
		}
	}
	started := j.scalar(t, "SELECT COUNT(*) FROM jobs.job_executions WHERE step_id IS NULL").(int64)
	if started != 2 {
		t.Errorf("%d executions started, want 2 (the changed and the new job)", started)
	}
	if code, out, _ := j.ejops(t, "apply", "--yes", "--run-changed", dir); code != exitOK || !strings.Contains(out, "No changes") {
		t.Errorf("apply --run-changed without changes: exit %d\n%s", code, out)
	}

	specs["jobs.yaml"] = strings.Replace(specs["jobs.yaml"], "metadata: {name: failing}\nspec:\n  description: run test", "metadata: {name: failing}\nspec:\n  description: run test, changed", 1)
	code, out, errOut := j.ejops(t, "apply", "--yes", "--run-changed", writeSpecs(t, specs))
	if code != exitFailure || !strings.Contains(out, "broken") || !strings.Contains(out, "Invalid object name") {
		t.Errorf("a changed job that fails: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := j.ejops(t, "apply", "--yes", "--run-changed", "--format", "json", dir); code != exitUsage {
		t.Errorf("--run-changed with --format json: exit %d\n%s", code, errOut)
	}
}
