package agent

import (
	"testing"
	"time"
)

// stepCount is the number of Steps the agent has made.
func (a *Agent) stepCount() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stepSeq
}

// An idle Run does not step, however much time passes, until something is committed: then it
// steps at the next tick.
func TestIdleRunDoesNotStep(t *testing.T) {
	s := newStack(t, nil)
	s.group("g", "Include SqlDatabase s d")
	s.job("j", "one g")
	startRun(t, s)
	idle := func() { waitFor(t, "Run to wait", func() bool { return s.clock.pendingTimers() == 1 }) }
	idle()
	before := s.agent.stepCount()
	for range 30 {
		s.clock.Advance(idlePoll)
		idle()
	}
	if n := s.agent.stepCount() - before; n != 0 {
		t.Fatalf("%d Steps in %v of idle time", n, 30*idlePoll)
	}
	id := s.start("j")
	waitFor(t, "the started execution to be picked up", func() bool {
		s.clock.Advance(DefaultTick / 4)
		return root(s.tree(id)).Lifecycle != "Created"
	})
}

// A schedule that fell due while the clock jumped far past it still fires: an idle Run steps
// when the time it was waiting for has passed, not only when it is reached exactly.
func TestIdleRunFiresScheduleAfterAJump(t *testing.T) {
	s := newStack(t, nil)
	s.group("g", "Include SqlDatabase s d")
	s.job("j", "one g")
	s.exec("EXEC jobs.sp_update_job @job_name = N'j', @enabled = 1, @schedule_interval_type = N'Minutes', @schedule_interval_count = 5, @schedule_start_time = @p1",
		t0.Add(5*time.Minute))
	startRun(t, s)
	waitFor(t, "Run to wait", func() bool { return s.clock.pendingTimers() == 1 })
	s.clock.Advance(time.Hour)
	waitFor(t, "the scheduled run", func() bool { return len(s.db.Executions(nil)) > 0 })
}
