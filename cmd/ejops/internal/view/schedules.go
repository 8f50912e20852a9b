package view

import (
	"fmt"
	"io"
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
		loc := zone(s.TimeZone)
		for _, r := range s.NextRuns {
			fmt.Fprintf(w, "      %s  (%s)\n", r.In(loc).Format("2006-01-02 15:04 MST"), r.UTC().Format("2006-01-02 15:04 UTC"))
		}
	}
	fmt.Fprintln(w)
}

// warnReapply warns, one line per job, of the schedules in local time that hold only until an
// offset change of their zone.
func warnReapply(w io.Writer, p *runner.Plan) {
	for _, s := range p.Schedules {
		if s.Reapply.IsZero() {
			continue
		}
		// The clocks' reading as the change comes: 02:00 when they spring forward to 03:00.
		_, off := s.Reapply.Add(-time.Second).In(zone(s.TimeZone)).Zone()
		at := s.Reapply.In(time.FixedZone("", off)).Format("2006-01-02 15:04")
		fmt.Fprintf(w, "ejops: warning: job %s: the schedule must be re-applied after %s %s; `apply --watch` does it\n", EscapeLine(s.Job), at, s.TimeZone)
	}
}

// zone returns the named time zone; UTC when it is unknown here, which the plan would have refused.
func zone(name string) *time.Location {
	if loc, err := spec.LoadZone(name); err == nil {
		return loc
	}
	return time.UTC
}
