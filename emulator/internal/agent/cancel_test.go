package agent

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestStepTimeout(t *testing.T) {
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{{Name: "slow", Duration: time.Hour}, {Name: "quick", Duration: time.Second}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlServer s")
	s.job("j", "one g @step_timeout_seconds = 60", "two g")
	id := s.start("j")
	s.advance(59 * time.Second)
	if tg := targets(s.tree(id), 1)[1]; tg.Database != "slow" || tg.Lifecycle != "InProgress" {
		t.Fatalf("before the timeout: %+v", tg)
	}
	s.advance(time.Second)
	rows := s.tree(id)
	tg := targets(rows, 1)
	wantLife(t, "slow", tg[1], "TimedOut")
	if !tg[1].End.Equal(t0.Add(time.Minute)) || tg[1].Message != "The step timed out after 60 seconds." || tg[1].Attempts != 1 {
		t.Errorf("slow = %+v", tg[1])
	}
	wantLife(t, "quick", tg[0], "Succeeded")
	st, _ := stepRow(rows, 1)
	wantLife(t, "step", st, "TimedOut")
	wantLife(t, "root", root(rows), "TimedOut")
	if _, ok := stepRow(rows, 2); ok {
		t.Errorf("step 2 ran after step 1 timed out:\n%s", summary(rows))
	}
}

func TestCancel(t *testing.T) {
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{
		{Name: "long", Duration: time.Hour},
		{Name: "retrying", Failure: &Failure{Message: "boom", Always: true}},
		{Name: "done", Duration: time.Second}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlServer s")
	s.job("j", "one g @initial_retry_interval_seconds = 60", "two g")
	id := s.start("j")
	s.advance(10 * time.Second)
	s.stop(id)
	s.step()
	rows := s.tree(id)
	want := `0   Canceled The job execution was canceled.
1   Canceled The job execution was canceled.
1 SqlServer  Succeeded Enumerated 3 database(s).
1 SqlDatabase done Succeeded 
1 SqlDatabase long Canceled The job execution was canceled.
1 SqlDatabase retrying Canceled The job execution was canceled.
`
	if got := summary(rows); got != want {
		t.Fatalf("rows:\n%s\nwant:\n%s", got, want)
	}
	for _, r := range rows {
		if r.Active || r.End.IsZero() {
			t.Errorf("row still active: %+v", r)
		}
		if r.Lifecycle == "Canceled" && !r.End.Equal(t0.Add(10*time.Second)) {
			t.Errorf("canceled at %v, want t0+10s", r.End)
		}
	}
	s.advance(2 * time.Hour)
	if got := summary(s.tree(id)); got != want {
		t.Errorf("rows changed after cancel:\n%s", got)
	}
}

func TestCancelBeforePickUp(t *testing.T) {
	s := newStack(t, nil)
	s.group("g", "Include SqlDatabase s d")
	s.job("j", "one g")
	id := s.start("j")
	s.stop(id)
	s.step()
	if got := summary(s.tree(id)); got != "0   Canceled The job execution was canceled.\n" {
		t.Fatalf("rows:\n%s", got)
	}
}

func TestDeleteJobForceCancels(t *testing.T) {
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{{Name: "a", Duration: time.Hour}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlDatabase s a")
	s.job("j", "one g")
	id := s.start("j")
	s.step()
	s.exec("EXEC jobs.sp_delete_job @job_name = N'j', @force = 1")
	s.step()
	rows := s.db.Executions(nil)
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if r.Lifecycle != "Canceled" || r.ExecutionID.String() != strings.ToUpper(id) && r.ExecutionID.String() != id {
			t.Errorf("row %+v", r)
		}
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
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{{Name: "d", Duration: time.Hour}}}}}
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
1   WaitingForChildJobExecutions 
1 SqlDatabase d InProgress 
`
	if got := summary(s.tree(id)); got != want {
		t.Fatalf("rows after Run returned:\n%s\nwant:\n%s", got, want)
	}
}
