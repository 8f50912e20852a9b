package view

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

// localPlan is the plan of a job running daily at 08:00 in Chicago, made on 2027-03-12 with the job
// applied in standard time.
func localPlan(t *testing.T) *runner.Plan {
	t.Helper()
	j := job("nightly")
	j.Enabled, j.IntervalType, j.At, j.TimeZone = true, "Days", "08:00", "America/Chicago"
	live := applied(j)
	live.Enabled, live.Start = true, time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)
	p, err := runner.Diff(&runner.Desired{Jobs: []runner.DesiredJob{j}}, &jobdb.State{Jobs: []jobdb.Job{live}},
		runner.Options{Scope: "default", Now: time.Date(2027, 3, 12, 20, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPlanLocalSchedules: the plan lists the next three runs in local time and UTC, across the
// change to daylight time, and warns that the schedule must be applied again after the change.
func TestPlanLocalSchedules(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := NewPlan(New(&out, &errOut, Text, false)).Plan(localPlan(t)); err != nil {
		t.Fatal(err)
	}
	want := `Existing objects that apply will record as owned by scope "default":
  job nightly

Schedules in local time, next runs:
  job nightly: every 1d at 08:00 America/Chicago
      2027-03-13 08:00 CST  (2027-03-13 14:00 UTC)
      2027-03-14 08:00 CDT  (2027-03-14 13:00 UTC)
      2027-03-15 08:00 CDT  (2027-03-15 13:00 UTC)

No changes. The job database matches the specs.
`
	if out.String() != want {
		t.Errorf("stdout:\n%s\nwant\n%s", out.String(), want)
	}
	if got := errOut.String(); got != "ejops: warning: job nightly: the schedule must be re-applied after 2027-03-14 02:00 America/Chicago; `apply --watch` does it\n" {
		t.Errorf("stderr: %q", got)
	}
	out.Reset()
	if err := NewPlan(New(&out, &bytes.Buffer{}, JSON, false)).Plan(localPlan(t)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"schedules": [
    {
      "job": "nightly",
      "every": "1d",
      "at": "08:00",
      "timeZone": "America/Chicago",
      "nextRuns": [
        "2027-03-13T14:00:00Z",
        "2027-03-14T13:00:00Z",
        "2027-03-15T13:00:00Z"
      ],
      "reapplyAfter": "2027-03-14T08:00:00Z"
    }
  ]`) {
		t.Errorf("JSON plan:\n%s", out.String())
	}
}

// TestPlanWithoutLocalSchedulesHasNoScheduleKey: plans of UTC schedules keep their JSON document.
func TestPlanWithoutLocalSchedulesHasNoScheduleKey(t *testing.T) {
	var out bytes.Buffer
	p := diff(t, &runner.Desired{Jobs: []runner.DesiredJob{job("nightly")}}, &jobdb.State{}, false)
	if err := NewPlan(New(&out, &bytes.Buffer{}, JSON, false)).Plan(p); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "schedules") {
		t.Errorf("JSON plan:\n%s", out.String())
	}
}

// TestPlanMarkdownLocalSchedules: the Markdown plan lists the schedules in local time with their
// next runs and when they must be applied again, and warns on stderr as the text plan does.
func TestPlanMarkdownLocalSchedules(t *testing.T) {
	var out, errOut bytes.Buffer
	m := &PlanMarkdown{View: New(&out, &errOut, Markdown, false)}
	if err := m.Plan(localPlan(t)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "<details><summary>1 schedule in local time</summary>\n\n- job <code>nightly</code>: every 1d at 08&#58;00 America/Chicago; must be re-applied after 2027-03-14 02&#58;00 America/Chicago\n  - 2027-03-13 08&#58;00 CST  &#40;2027-03-13 14&#58;00 UTC&#41;\n") {
		t.Errorf("Markdown plan:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "must be re-applied after 2027-03-14 02:00 America/Chicago") {
		t.Errorf("stderr: %q", errOut.String())
	}
}
