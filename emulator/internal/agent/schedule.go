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

// occurrence k of a recurring schedule.
func occurrence(start time.Time, secs, months, k int64) time.Time {
	if months > 0 {
		return start.AddDate(0, int(k*months), 0)
	}
	return time.Unix(start.Unix()+k*secs, int64(start.Nanosecond())).UTC()
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
		if due, ok := latestDue(js, now); ok && (st.lastFired.IsZero() || due.After(st.lastFired)) {
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
