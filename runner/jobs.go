package runner

import (
	"strconv"
	"strings"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// jobs plans the jobs and their steps and returns the deletes of the jobs no spec declares.
func (df *differ) jobs(want []DesiredJob, live []jobdb.Job) []Change {
	jobName := func(j jobdb.Job) string { return j.Name }
	have := byName(live, jobName)
	want, schedules, err := compileJobs(want, df.opt.Now)
	if err != nil {
		df.errs = append(df.errs, err)
	}
	df.plan.Schedules = schedules
	for _, j := range want {
		l, exists := take(have, j.Name)
		inv := df.record(KindJob, j.Name, j)
		if !exists {
			df.create(createJob(j), inv)
			continue
		}
		row, owned := df.claim(KindJob, j.Name)
		df.settle(updateJob(j, l, df.opt.Now, owned && row.SpecHash == inv.Hash), inv, row, owned)
	}
	return drops(df, KindJob, have, jobName, func(n string) Op {
		return Op{Object: "job " + n, Proc: "jobs.sp_delete_job", Args: []Arg{{"job_name", n}}}
	})
}

// localRows plans the ejops.job_schedules rows of the desired jobs this scope owns or will: a row
// for each schedule in local time that live does not hold as it is, a delete for each job whose
// schedule is back in UTC. Until the table exists, only with a job's inventory row: a plan that
// writes nothing else stays without writes.
func (df *differ) localRows(want []DesiredJob) {
	recorded := map[string]bool{}
	for _, o := range df.plan.Inventory {
		recorded[key(o.Kind, o.Name)] = !o.Remove
	}
	for _, j := range want {
		if o, ok := df.owners[key(KindJob, j.Name)]; ok && o.scope != df.opt.Scope || !df.live.HasSchedules && !recorded[key(KindJob, j.Name)] {
			continue
		}
		row, cur := localRow(j), df.liveRow(j.Name)
		switch {
		case row != nil && (cur == nil || cur.At != row.At || cur.TimeZone != row.TimeZone || !cur.Start.Equal(row.Start) || cur.Job != j.Name):
			r := *row
			r.Scope, r.Job = df.opt.Scope, j.Name
			df.plan.LocalRows = append(df.plan.LocalRows, LocalRowOp{Job: j.Name, Row: &r})
		case row == nil && cur != nil:
			df.plan.LocalRows = append(df.plan.LocalRows, LocalRowOp{Job: cur.Job})
		}
	}
}

// liveRow returns this scope's ejops.job_schedules row of a job, or nil.
func (df *differ) liveRow(job string) *jobdb.LocalSchedule {
	for i, r := range df.live.Schedules {
		if r.Scope == df.opt.Scope && strings.EqualFold(r.Job, job) {
			return &df.live.Schedules[i]
		}
	}
	return nil
}

func createJob(j DesiredJob) Change {
	c := Change{Kind: KindJob, Name: j.Name, Action: Create}
	c.Fields = jobFields(DesiredJob{}, j, true)
	c.Ops = append(c.Ops, Op{Object: "job " + j.Name, Proc: "jobs.sp_add_job", Args: []Arg{
		{"job_name", j.Name}, {"description", j.Description}, {"enabled", j.Enabled},
		{"schedule_interval_type", j.IntervalType}, {"schedule_interval_count", int64(j.IntervalCount)},
		{"schedule_start_time", j.Start}, {"schedule_end_time", j.End},
	}})
	for i, s := range j.Steps {
		c.Subs = append(c.Subs, SubChange{Action: Create, Name: s.Name, Position: i + 1, Fields: newStepFields(s)})
		c.Ops = append(c.Ops, addStep(j.Name, s, 0))
	}
	return c
}

func jobFields(old, new DesiredJob, all bool) []Field {
	var fs []Field
	add := func(name, o, n string) {
		if all || o != n {
			fs = append(fs, Field{Name: name, Old: o, New: n})
		}
	}
	add("description", old.Description, new.Description)
	add("enabled", strconv.FormatBool(old.Enabled), strconv.FormatBool(new.Enabled))
	add("schedule", schedString(old), schedString(new))
	add("start", timeString(old.Start), timeString(new.Start))
	add("end", timeString(old.End), timeString(new.End))
	return fs
}

func schedString(j DesiredJob) string {
	if j.IntervalType == "" {
		return ""
	}
	if j.IntervalType == "Once" {
		return "Once"
	}
	return "every " + spec.FormatInterval(j.IntervalType, j.IntervalCount)
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// updateJob plans the calls that make a live job equal the desired one. unchangedSpec says the spec
// is the one last applied.
func updateJob(want DesiredJob, live jobdb.Job, now time.Time, unchangedSpec bool) Change {
	have := liveJob(live)
	c := Change{Kind: KindJob, Name: want.Name, Action: Update}
	// The agent disables a Once job after running it: with the spec unchanged since it was applied
	// enabled, that is not drift (re-enabling would run it again).
	if unchangedSpec && want.IntervalType == "Once" && have.IntervalType == "Once" && want.Enabled && !have.Enabled &&
		want.Start.Equal(have.Start) && want.Start.Before(now) {
		have.Enabled = true
	}
	args := []Arg{{"job_name", have.Name}}
	if want.Description != have.Description {
		args = append(args, Arg{"description", want.Description})
	}
	if want.Enabled != have.Enabled {
		args = append(args, Arg{"enabled", want.Enabled})
	}
	if want.IntervalType != have.IntervalType {
		args = append(args, Arg{"schedule_interval_type", want.IntervalType})
	}
	if want.IntervalCount != have.IntervalCount {
		args = append(args, Arg{"schedule_interval_count", int64(want.IntervalCount)})
	}
	if !want.Start.Equal(have.Start) {
		args = append(args, Arg{"schedule_start_time", want.Start})
	}
	if !want.End.Equal(have.End) {
		args = append(args, Arg{"schedule_end_time", want.End})
	}
	if len(args) > 1 {
		c.Fields = jobFields(have, want, false)
		c.Ops = append(c.Ops, Op{Object: "job " + want.Name, Proc: "jobs.sp_update_job", Args: args})
	}
	subs, ops := diffSteps(have.Name, want.Steps, have.Steps)
	c.Subs, c.Ops = subs, append(c.Ops, ops...)
	return c
}
