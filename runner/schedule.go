package runner

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// Schedules in local time.
//
// The job database knows only UTC: the agent runs a job at its start time plus whole intervals
// (days and weeks of fixed length, months added to the UTC date). A schedule the specs give at a
// time of day in a time zone (at: "08:00", timeZone: America/Chicago) is compiled to the UTC start
// time that holds for the current UTC offset period of the zone: the first run of the schedule in
// that period. Between two offset changes the start time stays the same, so plans stay quiet; at
// each change it moves once, with one sp_update_job. Until it moves, the agent runs the job at the
// old offset: someone must apply again after each change, which apply --watch does on its own.
//
// The edge cases (see spec.Wall): a time of day the clocks skip (02:30 on the day they spring
// forward) runs as much later as the clocks jumped (03:30), because the start time of the period
// before the change still holds for that run: the start moves only once the run is past (by
// runMargin). A time the clocks show twice (01:30 on the day they fall back) runs once, at its
// first occurrence, the last run of the period before the change.

// runMargin is how long after a run at a skipped time the start time moves: the agent has started
// the run by then.
const runMargin = 10 * time.Minute

// maxSwitches bounds the offset changes looked through for the next one that moves a start time:
// a century of changes twice a year.
const maxSwitches = 200

// LocalSchedule is a job whose schedule the specs give in local time, as a plan shows it: its next
// runs, and when the job database's UTC schedule must change for the runs to stay at that local
// time.
type LocalSchedule struct {
	Job      string      `json:"job"`
	Every    string      `json:"every"` // "1d", "2w", "1mo"
	At       string      `json:"at"`    // "08:00"
	TimeZone string      `json:"timeZone"`
	NextRuns []time.Time `json:"nextRuns"` // the next three runs, in UTC
	// Reapply is when the UTC start time moves next, at an offset change of the zone: until the
	// specs are applied again after it, the agent runs the job an offset change away from At.
	// Zero when it never moves again.
	Reapply time.Time `json:"reapplyAfter,omitzero"`
}

// localSchedule returns the spec schedule of a desired job in local time.
func (j DesiredJob) localSchedule() (*spec.Schedule, error) {
	loc, err := spec.LoadZone(j.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("job %q: %w", j.Name, err)
	}
	at, err := spec.ParseClock(j.At)
	if err != nil {
		return nil, fmt.Errorf("job %q: at: %w", j.Name, err)
	}
	s := &spec.Schedule{IntervalType: j.IntervalType, IntervalCount: j.IntervalCount, At: at, TimeZone: j.TimeZone,
		Location: loc, End: j.End}
	if !j.Start.Equal(ScheduleMinStart) {
		s.Start = j.Start
	}
	return s, nil
}

// compileJobs returns the jobs with their schedules in local time compiled to the UTC schedules
// the job database needs at now, and what a plan shows of those schedules. A job that cannot be
// compiled (its zone is unknown here) is left as it is and reported in the error.
func compileJobs(jobs []DesiredJob, now time.Time) ([]DesiredJob, []LocalSchedule, error) {
	out := make([]DesiredJob, len(jobs))
	var schedules []LocalSchedule
	var errs []error
	for i, j := range jobs {
		out[i] = j
		if j.TimeZone == "" {
			continue
		}
		c, ls, err := compileLocal(j, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[i] = c
		schedules = append(schedules, ls)
	}
	return out, schedules, errors.Join(errs...)
}

// compileLocal returns the job with the UTC schedule its local-time schedule needs at now, and
// what a plan shows of that schedule.
func compileLocal(j DesiredJob, now time.Time) (DesiredJob, LocalSchedule, error) {
	s, err := j.localSchedule()
	if err != nil {
		return j, LocalSchedule{}, err
	}
	start, reapply := compile(s, now)
	ls := LocalSchedule{Job: j.Name, Every: spec.FormatInterval(j.IntervalType, j.IntervalCount), At: j.At, TimeZone: j.TimeZone,
		NextRuns: []time.Time{}, Reapply: reapply.UTC()}
	for t := now; len(ls.NextRuns) < 3; {
		run, ok := s.NextRun(t)
		if !ok {
			break
		}
		ls.NextRuns = append(ls.NextRuns, run.UTC())
		t = run.Add(time.Nanosecond)
	}
	j.Local = localRow(j)
	j.Start, j.At, j.TimeZone = start.UTC(), "", ""
	return j, ls, nil
}

// compile returns the UTC start time that a local-time schedule needs at now, and when it moves
// next (zero: never). Once no run is left, the start time of the last runs stays.
func compile(s *spec.Schedule, now time.Time) (start, reapply time.Time) {
	from := lastSwitch(s, now)
	start, ok := s.NextRun(from)
	for !ok && !from.IsZero() {
		from = lastSwitch(s, from.Add(-time.Nanosecond))
		start, ok = s.NextRun(from)
	}
	if !ok { // no run at all (validate reports it): keep the job database's start before its end
		start = s.Start
		if start.IsZero() {
			start = ScheduleMinStart
		}
		return minTime(start, s.End), time.Time{}
	}
	return start, nextSwitch(s, now, start)
}

// switchAt is when the start time moves for the offset change at change: at the change, or, when
// the first run after it is at a skipped time (read with the offset before the change), once that
// run is past.
func switchAt(s *spec.Schedule, change time.Time) time.Time {
	run, ok := s.NextRun(change)
	if !ok || !run.Before(change.Add(24*time.Hour)) {
		return change
	}
	if h, m, _ := run.In(s.Location).Clock(); h != s.At.Hour || m != s.At.Minute {
		return run.Add(runMargin)
	}
	return change
}

// lastSwitch returns the latest switch at or before t, or the zero time when there is none.
func lastSwitch(s *spec.Schedule, t time.Time) time.Time {
	for c := spec.PrevOffsetChange(s.Location, t); !c.IsZero(); c = spec.PrevOffsetChange(s.Location, c.Add(-time.Second)) {
		if sw := switchAt(s, c); !sw.After(t) {
			return sw
		}
	}
	return time.Time{}
}

// nextSwitch returns the first switch after now that moves the start time, or the zero time when
// no run is left after the switches to come.
func nextSwitch(s *spec.Schedule, now, start time.Time) time.Time {
	c := spec.PrevOffsetChange(s.Location, now)
	if c.IsZero() {
		c = spec.NextOffsetChange(s.Location, now)
	}
	for range maxSwitches {
		if c.IsZero() {
			break
		}
		if sw := switchAt(s, c); sw.After(now) {
			run, ok := s.NextRun(sw)
			if !ok {
				break
			}
			if !run.Equal(start) {
				return sw
			}
		}
		c = spec.NextOffsetChange(s.Location, c)
	}
	return time.Time{}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// localRow is the ejops.job_schedules row of a desired job, nil for a UTC schedule; its scope is
// left to the plan.
func localRow(j DesiredJob) *jobdb.LocalSchedule {
	switch {
	case j.Local != nil:
		return j.Local
	case j.TimeZone == "":
		return nil
	}
	row := &jobdb.LocalSchedule{Job: j.Name, At: j.At, TimeZone: j.TimeZone}
	if !j.Start.Equal(ScheduleMinStart) {
		row.Start = j.Start
	}
	return row
}

// liveLocal returns the schedule in local time live records for a job, preferring scope's row,
// compiled again at now: nil when there is none, and ok false when the job's UTC schedule is no
// longer what that schedule compiles to (it was edited in the job database).
func liveLocal(live *jobdb.State, scope string, j jobdb.Job, now time.Time) (row *jobdb.LocalSchedule, ok bool) {
	for i, r := range live.Schedules {
		if strings.EqualFold(r.Job, j.Name) && (row == nil || r.Scope == scope) {
			row = &live.Schedules[i]
		}
	}
	if row == nil {
		return nil, false
	}
	d := DesiredJob{Name: j.Name, IntervalType: j.IntervalType, IntervalCount: j.IntervalCount, Start: ScheduleMinStart, End: j.End,
		At: row.At, TimeZone: row.TimeZone}
	if !row.Start.IsZero() {
		d.Start = row.Start
	}
	c, _, err := compileLocal(d, now)
	return row, err == nil && c.Start.Equal(j.Start)
}
