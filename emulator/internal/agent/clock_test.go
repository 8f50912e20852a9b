package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFakeClock(t *testing.T) {
	c := NewFakeClock(t0)
	a, b := c.NewTimer(2*time.Second), c.NewTimer(5*time.Second)
	stopped := c.NewTimer(time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop should report true once")
	}
	c.Advance(3 * time.Second)
	select {
	case at := <-a.C():
		if !at.Equal(t0.Add(2 * time.Second)) {
			t.Errorf("timer fired with %v", at)
		}
	default:
		t.Fatal("due timer did not fire")
	}
	select {
	case <-b.C():
		t.Fatal("timer fired early")
	case <-stopped.C():
		t.Fatal("stopped timer fired")
	default:
	}
	c.Advance(-time.Hour)
	if !c.Now().Equal(t0.Add(3 * time.Second)) {
		t.Errorf("now = %v", c.Now())
	}
	c.AdvanceTo(t0.Add(5 * time.Second))
	select {
	case <-b.C():
	default:
		t.Fatal("second timer did not fire")
	}
	select {
	case <-c.NewTimer(0).C():
	default:
		t.Fatal("zero timer did not fire at once")
	}
}

func TestAdvanceNeedsFakeClock(t *testing.T) {
	a := New(nil, Options{})
	if err := a.Advance(context.Background(), time.Second); err == nil {
		t.Fatal("Advance with the real clock succeeded")
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunWithRealClock(t *testing.T) {
	s := newStack(t, nil)
	s.agent = New(s.db, Options{Clock: RealClock{}, Tick: 10 * time.Millisecond})
	cancel, done := startRun(t, s)
	s.group("g", "Include SqlDatabase s d")
	s.job("j", "one g")
	id := s.start("j")
	s.agent.Wake()
	waitFor(t, "the run to succeed", func() bool { return root(s.tree(id)).Lifecycle == "Succeeded" })
	cancel()
	waitRun(t, done)
}

func TestWatchFleet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fleet.yaml")
	write := func(s string) {
		tmp := filepath.Join(dir, ".fleet.tmp")
		if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("servers:\n  - name: s\n    databases: [a]\n")
	f, err := LoadFleet(path)
	if err != nil {
		t.Fatal(err)
	}
	a := New(nil, Options{Fleet: f, Clock: NewFakeClock(t0)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- WatchFleet(ctx, path, a) }()
	dbs := func() int {
		if fl := a.Fleet(); fl != nil && len(fl.Servers) == 1 {
			return len(fl.Servers[0].Databases)
		}
		return -1
	}
	// Keep writing until the watcher (which may still be starting) has seen the change.
	polls := 0
	waitFor(t, "the reload", func() bool {
		if polls%100 == 0 {
			write("servers:\n  - name: s\n    databases: [a, b]\n")
		}
		polls++
		return dbs() == 2
	})
	write("servers: [oops\n") // invalid: the previous fleet stays
	write("servers:\n  - name: s\n    databases: [a, b, c]\n")
	waitFor(t, "the second reload", func() bool { return dbs() == 3 })
	write("servers: {bad: 1}\n")
	time.Sleep(3 * watchDebounce)
	if dbs() != 3 {
		t.Errorf("an invalid file replaced the fleet")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("WatchFleet = %v", err)
	}
	if err := WatchFleet(context.Background(), filepath.Join(dir, "missing", "f.yaml"), a); err == nil {
		t.Error("WatchFleet of a missing directory succeeded")
	}
}
