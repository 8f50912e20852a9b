package agent

import (
	"context"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func TestFleetChangeShowsInNextRun(t *testing.T) {
	s := newStack(t, &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{{Name: "a"}}}}})
	s.group("g", "Include SqlServer s")
	s.job("j", "one g")
	first := s.start("j")
	s.step()
	s.agent.SetFleet(&Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{{Name: "a"}, {Name: "b"}}}}})
	second := s.start("j")
	s.step()
	if n := len(targets(s.tree(first), 1)); n != 1 {
		t.Errorf("first run has %d targets, want 1", n)
	}
	if got := summary(targets(s.tree(second), 1)); got != "1 SqlDatabase a Succeeded \n1 SqlDatabase b Succeeded \n" {
		t.Errorf("second run targets:\n%s", got)
	}
}

func TestAgentRestartEndsOrphanedRuns(t *testing.T) {
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{{Name: "a", Duration: time.Hour}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlDatabase s a")
	s.job("j", "one g")
	running := s.start("j")
	s.step()
	s.agent = New(s.db, Options{Fleet: f, Clock: s.clock})
	fresh := s.start("j")
	s.step()
	for _, r := range s.tree(running) {
		if r.Lifecycle != "Failed" || r.Message != "The job execution was interrupted because the agent restarted." {
			t.Errorf("orphaned row = %s", r)
		}
	}
	wantLife(t, "new run", root(s.tree(fresh)), "WaitingForChildJobExecutions")
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

// A Step whose commit fails writes nothing, and the next Step does its work again.
func TestStepCommitFailure(t *testing.T) {
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{{Name: "a", Duration: 10 * time.Second}, {Name: "b", Duration: 10 * time.Second}}}}}
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
1   Succeeded 
1 SqlServer  Succeeded Enumerated 2 database(s).
1 SqlDatabase a Succeeded 
1 SqlDatabase b Succeeded 
`
	if got := summary(s.tree(id)); got != want {
		t.Fatalf("rows:\n%s\nwant:\n%s", got, want)
	}
}
