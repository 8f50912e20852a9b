package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportKeepsLocalSchedules: a job applied with a schedule in local time is exported with it,
// and a plan of the export changes nothing; edited by hand in the job database it is exported in
// UTC; back to a UTC schedule in the specs, or deleted, it loses its ejops.job_schedules row.
func TestExportKeepsLocalSchedules(t *testing.T) {
	j := startJobDB(t)
	now := at("2026-12-04T17:00:00Z")
	dir := writeSpecs(t, map[string]string{"jobs.yaml": strings.Replace(chicagoSpecs,
		`{every: 1d, at: "08:00", timeZone: America/Chicago}`, `{every: 1w, at: "08:00", timeZone: America/Chicago, start: 2026-11-02}`, 1)})
	mustAt := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := j.ejopsAt(t, now, args...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, errOut)
		}
		return out + errOut
	}
	rows := func() int64 { return j.scalar(t, "SELECT COUNT(*) FROM ejops.job_schedules").(int64) }
	exported := func() string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "exported")
		mustAt(exitOK, "export", "--out", out)
		b, err := os.ReadFile(filepath.Join(out, "jobs", "nightly.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if plan := mustAt(exitOK, "plan", "--detailed-exitcode", out); !strings.Contains(plan, "No changes.") {
			t.Fatalf("plan on the export:\n%s", plan)
		}
		return string(b)
	}

	mustAt(exitOK, "apply", "--yes", dir)
	if n := rows(); n != 1 {
		t.Fatalf("%d job_schedules rows after apply, want 1", n)
	}
	if y := exported(); !strings.Contains(y, `at: "08:00"`) || !strings.Contains(y, "timeZone: America/Chicago") ||
		!strings.Contains(y, "start: \"2026-11-02T00:00:00-06:00\"") && !strings.Contains(y, "start: 2026-11-02T00:00:00-06:00") {
		t.Fatalf("the export lost the schedule in local time:\n%s", y)
	}
	if plan := mustAt(exitOK, "plan", "--detailed-exitcode", dir); !strings.Contains(plan, "No changes.") {
		t.Fatalf("plan of the specs after the export:\n%s", plan)
	}

	j.exec(t, "EXEC jobs.sp_update_job @job_name = N'nightly', @schedule_start_time = '2026-11-02T15:00:00'")
	if y := exported(); strings.Contains(y, "timeZone") || !strings.Contains(y, "start: \"2026-11-02T15:00:00Z\"") && !strings.Contains(y, "start: 2026-11-02T15:00:00Z") ||
		!strings.Contains(y, "then edited in the job database: written in UTC") {
		t.Fatalf("the job edited by hand is not exported in UTC with a comment:\n%s", y)
	}

	utc := writeSpecs(t, map[string]string{"jobs.yaml": strings.Replace(chicagoSpecs,
		`{every: 1d, at: "08:00", timeZone: America/Chicago}`, `{every: 1d, start: 2026-11-01T14:00:00Z}`, 1)})
	mustAt(exitOK, "apply", "--yes", utc)
	if n := rows(); n != 0 {
		t.Fatalf("%d job_schedules rows after the schedule went back to UTC, want 0", n)
	}
	mustAt(exitOK, "apply", "--yes", dir)
	if n := rows(); n != 1 {
		t.Fatalf("%d job_schedules rows after applying local time again, want 1", n)
	}
	mustAt(exitOK, "apply", "--yes", "--prune", writeSpecs(t, map[string]string{"specs.yaml": miAgent + "---\n" + tenants}))
	if n := rows(); n != 0 {
		t.Fatalf("%d job_schedules rows after the job was deleted, want 0", n)
	}
}
