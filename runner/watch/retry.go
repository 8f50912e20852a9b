package watch

import "time"

// retry follows consecutive failures of one kind of work: when to try again (exponential backoff
// from min, capped at max) and which failures deserve a log line, so an outage logs its first
// failure, then a reminder at most once per remindEvery × max (never once per retry), then its end.
type retry struct {
	min, max time.Duration
	failures int
	since    time.Time // first failure of the current run
	logged   time.Time // last failure logged
	lastMsg  string
}

// remindEvery × max is the least time between two log lines of the same lasting failure.
const remindEvery = 10

// fail records a failure at now. It returns the delay before the next attempt and whether to log
// this failure: the first one, one with a different message, or a reminder.
func (r *retry) fail(now time.Time, err error) (delay time.Duration, log bool) {
	r.failures++
	if r.failures == 1 {
		r.since = now
	}
	msg := err.Error()
	log = r.failures == 1 || msg != r.lastMsg || now.Sub(r.logged) >= remindEvery*r.max
	if log {
		r.logged, r.lastMsg = now, msg
	}
	delay = r.min
	for i := 1; i < r.failures && delay < r.max; i++ {
		delay *= 2
	}
	return min(delay, r.max), log
}

// ok records a success. It returns the number of failures it ends (0 when there were none) and
// when they began.
func (r *retry) ok() (failures int, since time.Time) {
	failures, since = r.failures, r.since
	r.failures, r.lastMsg = 0, ""
	return failures, since
}
