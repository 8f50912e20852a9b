package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner"
)

// chicagoSpecs is an agent, a target group and a job running daily at 08:00 in Chicago.
const chicagoSpecs = miAgent + "---\n" + tenants + `---
apiVersion: ejops/v1
kind: Job
metadata: {name: nightly}
spec:
  enabled: true
  schedule: {every: 1d, at: "08:00", timeZone: America/Chicago}
  steps:
    - name: stats
      targetGroup: tenants
      command: SELECT 1;
`

// springForward is when Chicago moves from 02:00 CST to 03:00 CDT in 2027.
var springForward = time.Date(2027, 3, 14, 8, 0, 0, 0, time.UTC)

// ejopsAt runs the CLI against the job database with its plans made at the time clock tells.
func (j *jobDB) ejopsAt(t *testing.T, clock func() time.Time, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: os.Getenv, readFile: runner.ReadSecretFile, clock: clock}
	code := run(e, append([]string{args[0], "--job-db", j.dsn}, args[1:]...))
	return code, stdout.String(), stderr.String()
}

func at(s string) func() time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t }
}

// scheduleStart reads a job's schedule_start_time.
func (j *jobDB) scheduleStart(t testing.TB, job string) time.Time {
	t.Helper()
	var start time.Time
	if err := j.db.QueryRow("SELECT schedule_start_time FROM jobs.jobs WHERE job_name = @p1", job).Scan(&start); err != nil {
		t.Fatal(err)
	}
	return start.UTC()
}

func (j *jobDB) updateJobCalls() int { return j.em.Stats().Procs["jobs.sp_update_job"] }

// TestLocalScheduleAcrossAChange: once applied, plans stay empty until the offset change, and
// warn of it; applying after the change moves the start time with one sp_update_job and nothing
// else; then plans are empty again.
func TestLocalScheduleAcrossAChange(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"jobs.yaml": chicagoSpecs})
	if code, out, errOut := j.ejopsAt(t, at("2026-12-04T17:00:00Z"), "apply", "--yes", dir); code != exitOK {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	if got, want := j.scheduleStart(t, "nightly"), time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("start %s, want %s (08:00 CST on the day standard time began)", got, want)
	}
	for _, now := range []string{"2026-12-05T09:00:00Z", "2027-01-31T23:59:00Z", "2027-03-14T07:59:59Z"} {
		code, out, errOut := j.ejopsAt(t, at(now), "plan", "--detailed-exitcode", dir)
		if code != exitOK {
			t.Fatalf("plan at %s: exit %d\n%s%s", now, code, out, errOut)
		}
		if !strings.Contains(errOut, "ejops: warning: job nightly: the schedule must be re-applied after 2027-03-14 02:00 America/Chicago; `apply --watch` does it") {
			t.Errorf("plan at %s: no warning of the change:\n%s", now, errOut)
		}
	}
	code, out, _ := j.ejopsAt(t, at("2027-03-13T20:00:00Z"), "plan", dir)
	if code != exitOK || !strings.Contains(out, `  job nightly: every 1d at 08:00 America/Chicago
      2027-03-14 08:00 CDT  (2027-03-14 13:00 UTC)
      2027-03-15 08:00 CDT  (2027-03-15 13:00 UTC)
      2027-03-16 08:00 CDT  (2027-03-16 13:00 UTC)
`) {
		t.Errorf("plan: next runs not shown:\n%s", out)
	}

	j.em.ResetStats()
	if code, out, errOut := j.ejopsAt(t, at("2027-03-14T08:00:00Z"), "apply", "--yes", dir); code != exitOK {
		t.Fatalf("apply at the change: %d\n%s%s", code, out, errOut)
	}
	if got := j.procCalls(); got != 1 || j.updateJobCalls() != 1 {
		t.Errorf("apply at the change made %d calls (%v), want one sp_update_job", got, j.em.Stats().Procs)
	}
	if got, want := j.scheduleStart(t, "nightly"), time.Date(2027, 3, 14, 13, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("start %s, want %s (08:00 CDT)", got, want)
	}
	j.em.ResetStats()
	for _, now := range []string{"2027-03-14T08:00:01Z", "2027-07-04T12:00:00Z"} {
		if code, out, errOut := j.ejopsAt(t, at(now), "apply", "--yes", dir); code != exitOK || j.procCalls() != 0 {
			t.Errorf("apply at %s: exit %d, %d calls\n%s%s", now, code, j.procCalls(), out, errOut)
		}
	}
}

// TestWatchMovesLocalScheduleAtTheChange: the sidecar applies again at the offset change by
// itself, on a clock set a few seconds before it, with one sp_update_job.
func TestWatchMovesLocalScheduleAtTheChange(t *testing.T) {
	j := serveJobDB(t, emulator.Options{User: "ejops", Password: "emulator-pw", NoSchedules: true})
	dir := writeSpecs(t, map[string]string{"jobs.yaml": chicagoSpecs})
	shift := time.Until(springForward.Add(-3 * time.Second))
	logs := &syncBuffer{}
	e := &env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: logs, getenv: os.Getenv, readFile: runner.ReadSecretFile,
		clock: func() time.Time { return time.Now().Add(shift) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runApply(ctx, e, []string{"--watch", "--job-db", j.dsn, "--debounce", "50ms", "--leader-retry", "100ms", "--log-format", "json", dir})
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("apply --watch exited %d\n%s", code, logs)
		}
	}()
	waitFor(t, 10*time.Second, "the first apply", func() bool { return strings.Contains(logs.String(), `"result":"applied"`) })
	if got, want := j.scheduleStart(t, "nightly"), time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("start %s, want %s\n%s", got, want, logs)
	}
	calls := j.updateJobCalls()
	want := time.Date(2027, 3, 14, 13, 0, 0, 0, time.UTC)
	waitFor(t, 15*time.Second, "the start time to move at the change", func() bool { return j.scheduleStart(t, "nightly").Equal(want) })
	if got := j.updateJobCalls() - calls; got != 1 {
		t.Errorf("%d sp_update_job calls at the change, want 1", got)
	}
	if !strings.Contains(logs.String(), `"trigger":"schedule"`) {
		t.Errorf("no pass triggered by the schedule:\n%s", logs)
	}
}
