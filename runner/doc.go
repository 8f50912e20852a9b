// Package runner plans and applies specs against a job database: FromSpec turns specs into the
// Desired state, in the job database's terms; Diff compares it with the live state (jobdb.State)
// into a Plan (pure, deterministic for its Options.Now, which compiles schedules in local time to
// the UTC schedules the job database knows, see schedule.go); Apply executes a Plan in one
// transaction under an application lock. A PlanFile saves the desired state between plan --out
// and apply --plan, in a versioned format of its own, with what binds it: the job database, the
// live state and the calls it was made with.
package runner
