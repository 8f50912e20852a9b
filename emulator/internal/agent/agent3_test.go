package agent

import (
	"context"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

const zeroDelayRetries = "@initial_retry_interval_seconds = 0, @maximum_retry_interval_seconds = 0"

func alwaysFailing() *Fleet {
	return &Fleet{Servers: []Server{{Name: "s", Databases: []Database{{Name: "d", Failure: &Failure{Message: "boom", Always: true}}}}}}
}

func TestOneAttemptPerStep(t *testing.T) {
	s := newStack(t, alwaysFailing())
	s.group("g", "Include SqlDatabase s d")
	s.job("j", "one g @retry_attempts = 3, "+zeroDelayRetries)
	id := s.start("j")
	for n := int64(1); n <= 3; n++ {
		s.step()
		tg := targets(s.tree(id), 1)[0]
		if tg.Attempts != n || tg.Lifecycle != "WaitingForRetry" || !tg.Next.Equal(t0) {
			t.Fatalf("after step %d: %s next=%v", n, tg, tg.Next)
		}
		if next, ok := s.agent.nextWake(); !ok || !next.Equal(t0) {
			t.Fatalf("after step %d: next wake %v %v, want now", n, next, ok)
		}
	}
	s.advance(0)
	rows := s.tree(id)
	if tg := targets(rows, 1)[0]; tg.Attempts != 4 || tg.Lifecycle != "Failed" {
		t.Fatalf("target = %s", tg)
	}
	wantLife(t, "root", root(rows), "Failed")
	if _, ok := s.agent.nextWake(); ok {
		t.Error("the agent still has something to do")
	}
}

// pendingTimers is the number of timers waiting on the fake clock.
func (c *FakeClock) pendingTimers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

func startRun(t *testing.T, s *stack) (cancel func(), done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- s.agent.Run(ctx) }()
	t.Cleanup(cancel)
	return cancel, ch
}

func waitRun(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// Endless retries without delay leave Run responsive to sp_stop_job and to cancellation.
func TestZeroDelayRetriesStayStoppable(t *testing.T) {
	s := newStack(t, alwaysFailing())
	s.agent = New(s.db, Options{Fleet: alwaysFailing(), Clock: s.clock, Tick: time.Hour})
	s.group("g", "Include SqlDatabase s d")
	s.job("j", "one g @retry_attempts = 2147483647, "+zeroDelayRetries)
	id := s.start("j")
	cancel, done := startRun(t, s)
	attempts := func() int64 {
		for _, e := range s.db.Executions(nil) {
			if e.TargetDatabase == "d" {
				return e.CurrentAttempts
			}
		}
		return 0
	}
	waitFor(t, "retries", func() bool { return attempts() >= 3 })
	s.stop(id)
	waitFor(t, "the run to be canceled", func() bool { return root(s.tree(id)).Lifecycle == "Canceled" })
	cancel()
	waitRun(t, done)
	if tg := targets(s.tree(id), 1)[0]; tg.Lifecycle != "Canceled" {
		t.Errorf("target = %s", tg)
	}
}

// A Step that waits for the write lock when Run is canceled finishes before Run returns.
func TestRunFinishesStepAfterCancel(t *testing.T) {
	f := &Fleet{Servers: []Server{{Name: "s", Databases: []Database{{Name: "d", Duration: time.Hour}}}}}
	s := newStack(t, f)
	s.agent = New(s.db, Options{Fleet: f, Clock: s.clock, Tick: time.Hour})
	s.group("g", "Include SqlDatabase s d")
	s.job("j", "one g")
	cancel, done := startRun(t, s)
	waitFor(t, "Run to idle", func() bool { return s.clock.pendingTimers() == 1 })
	id := s.start("j")

	ctx := context.Background()
	conn, err := s.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION; EXEC jobs.sp_add_target_group @target_group_name = N'held'"); err != nil {
		t.Fatal(err)
	}
	s.agent.Wake()
	waitFor(t, "the Step to wait for the write lock", func() bool {
		if s.agent.mu.TryLock() {
			s.agent.mu.Unlock()
			return false
		}
		return true
	})
	cancel()
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	waitRun(t, done)
	want := `0   WaitingForChildJobExecutions 
1 TargetGroup  WaitingForChildJobExecutions 
1 SqlDatabase d InProgress 
`
	if got := summary(s.tree(id)); got != want {
		t.Fatalf("rows after Run returned:\n%s\nwant:\n%s", got, want)
	}
}

// A Step whose commit fails writes nothing, and the next Step does its work again.
func TestStepCommitFailure(t *testing.T) {
	f := &Fleet{Servers: []Server{{Name: "s", Databases: []Database{{Name: "a", Duration: 10 * time.Second}, {Name: "b", Duration: 10 * time.Second}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlServer s")
	s.job("j", "one g")
	id := s.start("j")
	s.step()
	before := summary(s.tree(id))
	s.clock.Advance(10 * time.Second)
	s.db.FailNextCommit(sqlval.Errorf(3314, "disk full"))
	if err := s.agent.Step(context.Background()); err == nil {
		t.Fatal("Step succeeded over a failing commit")
	}
	if got := summary(s.tree(id)); got != before {
		t.Fatalf("a failed Step wrote rows:\n%s\nwant:\n%s", got, before)
	}
	s.step()
	want := `0   Succeeded 
1 TargetGroup  Succeeded 
1 SqlServer  Succeeded Enumerated 2 database(s).
1 SqlDatabase a Succeeded 
1 SqlDatabase b Succeeded 
`
	if got := summary(s.tree(id)); got != want {
		t.Fatalf("rows:\n%s\nwant:\n%s", got, want)
	}
}

func TestNoSchedules(t *testing.T) {
	s := newStack(t, nil)
	s.agent = New(s.db, Options{Clock: s.clock, NoSchedules: true})
	s.group("g", "Include SqlDatabase s d")
	s.job("hourly", "one g")
	s.exec(`EXEC jobs.sp_update_job @job_name = N'hourly', @enabled = 1, @schedule_interval_type = N'Hours',
		@schedule_start_time = @p1`, t0.Add(-30*time.Minute))
	s.advance(3 * time.Hour)
	if n := s.count(`SELECT COUNT(*) FROM jobs.job_executions`); n != 0 {
		t.Fatalf("%d executions from a schedule", n)
	}
	id := s.start("hourly")
	s.step()
	wantLife(t, "started run", root(s.tree(id)), "Succeeded")
}
