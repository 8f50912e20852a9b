package agent

import (
	"context"
	"time"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// schedState is what the agent remembers about one job's schedule.
type schedState struct {
	lastFired time.Time // occurrence (or start) of the job's latest run
	enabled   bool
}

// interval returns the schedule's fixed step in seconds, or its step in months.
func interval(js jobSchedule) (secs, months int64, ok bool) {
	n := js.IntervalCount
	if n <= 0 || n > 1<<31 {
		return 0, 0, false
	}
	switch js.IntervalType {
	case "Minutes":
		return n * 60, 0, true
	case "Hours":
		return n * 3600, 0, true
	case "Days":
		return n * 86400, 0, true
	case "Weeks":
		return n * 7 * 86400, 0, true
	case "Months":
		return 0, n, true
	}
	return 0, 0, false
}

// occurrence k of a recurring schedule. Monthly occurrences count months from the start and keep
// its day, clamped to the month's last day: January 31 + 1 month is February 28 (or 29), as .NET's
// DateTime.AddMonths does ("DateTime.AddMonths(Int32) Method",
// https://learn.microsoft.com/dotnet/api/system.datetime.addmonths). [I] The agent, a .NET
// service, is assumed to compute each occurrence from the start this way; Go's AddDate would
// normalize to March 3.
func occurrence(start time.Time, secs, months, k int64) time.Time {
	if months > 0 {
		return addMonths(start, k*months)
	}
	return time.Unix(start.Unix()+k*secs, int64(start.Nanosecond())).UTC()
}

// addMonths is .NET's AddMonths: the same day n months later, or that month's last day.
func addMonths(t time.Time, n int64) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location()).AddDate(0, int(n), 0)
	if last := first.AddDate(0, 1, -1).Day(); d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}

// latestDue returns the latest occurrence at or before now, if now is inside the schedule window.
func latestDue(js jobSchedule, now time.Time) (time.Time, bool) {
	if now.Before(js.Start) {
		return time.Time{}, false
	}
	var occ time.Time
	if js.IntervalType == "Once" {
		occ = js.Start
	} else {
		secs, months, ok := interval(js)
		if !ok {
			return time.Time{}, false
		}
		var k int64
		if months > 0 {
			m := int64(now.Year()-js.Start.Year())*12 + int64(now.Month()-js.Start.Month())
			k = m / months
		} else {
			k = (now.Unix() - js.Start.Unix()) / secs
		}
		occ = occurrence(js.Start, secs, months, k)
		for k > 0 && occ.After(now) {
			k--
			occ = occurrence(js.Start, secs, months, k)
		}
		if occ.After(now) {
			return time.Time{}, false
		}
	}
	if occ.After(js.End) || now.After(js.End) {
		return time.Time{}, false
	}
	return occ, true
}

// nextAfter returns the first occurrence after t inside the schedule window.
func nextAfter(js jobSchedule, t time.Time) (time.Time, bool) {
	var occ time.Time
	switch {
	case t.Before(js.Start):
		occ = js.Start
	case js.IntervalType == "Once":
		return time.Time{}, false
	default:
		secs, months, ok := interval(js)
		if !ok {
			return time.Time{}, false
		}
		var k int64
		if months > 0 {
			k = (int64(t.Year()-js.Start.Year())*12 + int64(t.Month()-js.Start.Month())) / months
		} else {
			k = (t.Unix() - js.Start.Unix()) / secs
		}
		occ = occurrence(js.Start, secs, months, k)
		for !occ.After(t) {
			k++
			occ = occurrence(js.Start, secs, months, k)
		}
	}
	if occ.After(js.End) {
		return time.Time{}, false
	}
	return occ, true
}

// schedule starts the runs of enabled schedules that are due at now and returns the next time a
// schedule falls due.
func (a *Agent) schedule(ctx context.Context, now time.Time) (time.Time, error) {
	jobs, err := loadSchedules(a.db)
	if err != nil {
		return time.Time{}, err
	}
	var lastRun map[sqlval.UUID]time.Time
	present := make(map[sqlval.UUID]bool, len(jobs))
	var next time.Time
	var errs []error
	for _, js := range jobs {
		present[js.ID] = true
		st := a.sched[js.ID]
		if st == nil {
			if lastRun == nil {
				lastRun = a.lastRuns()
			}
			st = &schedState{lastFired: lastRun[js.ID], enabled: js.Enabled}
			a.sched[js.ID] = st
		} else if js.IntervalType == "Once" && js.Enabled && !st.enabled {
			// Enabling a Once job again runs it again.
			st.lastFired = time.Time{}
		}
		st.enabled = js.Enabled
		if !js.Enabled {
			continue
		}
		due, ok := latestDue(js, now)
		if ok && js.IntervalType == "Once" && !a.hasSteps(js.ID) {
			// [I] A Once job that comes due before it has a step is not consumed: it fires once
			// it has one, as Microsoft's Wingtip Tickets sample relies on when it creates the job
			// in one batch and adds the step in the next.
			continue
		}
		if ok && (st.lastFired.IsZero() || due.After(st.lastFired)) {
			st.lastFired = due
			if _, err := a.db.StartJob(ctx, js.ID); err != nil {
				errs = append(errs, err)
				a.log.Warn("scheduled start failed", "job", js.Name, "err", err)
			} else {
				a.log.Info("schedule fired", "job", js.Name, "occurrence", due)
			}
			if js.IntervalType == "Once" {
				st.enabled = false
				if err := a.db.SetJobEnabled(ctx, js.ID, false); err != nil {
					errs = append(errs, err)
				}
				continue
			}
		}
		after := now
		if st.lastFired.After(after) {
			after = st.lastFired
		}
		if t, ok := nextAfter(js, after); ok && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for id := range a.sched {
		if !present[id] {
			delete(a.sched, id)
		}
	}
	return next, joinErrs(errs)
}

// hasSteps reports whether the job's current version has a step.
func (a *Agent) hasSteps(job sqlval.UUID) bool {
	rows, err := relation(a.db, "jobs.jobsteps")
	if err != nil {
		return true // let the start report the problem
	}
	for _, r := range rows {
		if r.uuid("job_id") == job {
			return true
		}
	}
	return false
}

// lastRuns returns the create time of each job's latest run.
func (a *Agent) lastRuns() map[sqlval.UUID]time.Time {
	out := map[sqlval.UUID]time.Time{}
	a.db.Executions(func(e *jobstore.Execution) bool {
		if e.Parent == 0 && e.CreateTime.After(out[e.JobID]) {
			out[e.JobID] = e.CreateTime
		}
		return false
	})
	return out
}
