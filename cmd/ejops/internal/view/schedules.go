package view

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/spec"
)

// writeSchedules lists the jobs whose schedule is in local time, with their next runs in local
// time and in UTC.
func writeSchedules(w io.Writer, p *runner.Plan) {
	if len(p.Schedules) == 0 {
		return
	}
	fmt.Fprintln(w, "Schedules in local time, next runs:")
	for _, s := range p.Schedules {
		fmt.Fprintf(w, "  job %s: every %s at %s %s\n", safeName(s.Job), s.Every, s.At, s.TimeZone)
		for _, r := range s.NextRuns {
			fmt.Fprintf(w, "      %s\n", runText(r, s.TimeZone))
		}
	}
	fmt.Fprintln(w)
}

// warnReapply warns, one line per job, of the schedules in local time that hold only until an
// offset change of their zone.
func warnReapply(w io.Writer, p *runner.Plan) {
	for _, s := range p.Schedules {
		if !s.Reapply.IsZero() {
			fmt.Fprintf(w, "ejops: warning: job %s: the schedule must be re-applied after %s; `apply --watch` does it\n", EscapeLine(s.Job), reapplyText(s))
		}
	}
}

// schedulesSection is the Markdown of the schedules in local time: each job's next runs, and when
// it must be applied again.
func schedulesSection(p *runner.Plan) string {
	if len(p.Schedules) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>%s in local time</summary>\n\n", Count(len(p.Schedules), "schedule"))
	for i, s := range p.Schedules {
		if i == maxRefs {
			fmt.Fprintf(&b, "- … and %d more\n", len(p.Schedules)-maxRefs)
			break
		}
		fmt.Fprintf(&b, "- job %s: every %s at %s", code(s.Job), text(s.Every), text(s.At+" "+s.TimeZone))
		if !s.Reapply.IsZero() {
			fmt.Fprintf(&b, "; must be re-applied after %s", text(reapplyText(s)))
		}
		b.WriteString("\n")
		for _, r := range s.NextRuns {
			fmt.Fprintf(&b, "  - %s\n", text(runText(r, s.TimeZone)))
		}
	}
	b.WriteString("\n</details>\n\n")
	return b.String()
}

// runText shows a run in local time and in UTC: "2027-03-14 08:00 CDT  (2027-03-14 13:00 UTC)".
func runText(r time.Time, zone string) string {
	return fmt.Sprintf("%s  (%s)", r.In(location(zone)).Format("2006-01-02 15:04 MST"), r.UTC().Format("2006-01-02 15:04 UTC"))
}

// reapplyText shows when a schedule must be applied again as the zone's clocks read just before:
// "2027-03-14 02:00 America/Chicago" when they spring forward from 02:00 to 03:00.
func reapplyText(s runner.LocalSchedule) string {
	_, off := s.Reapply.Add(-time.Second).In(location(s.TimeZone)).Zone()
	return s.Reapply.In(time.FixedZone("", off)).Format("2006-01-02 15:04") + " " + s.TimeZone
}

// location returns the named time zone; UTC when it is unknown here, which the plan would have
// refused.
func location(name string) *time.Location {
	if loc, err := spec.LoadZone(name); err == nil {
		return loc
	}
	return time.UTC
}
