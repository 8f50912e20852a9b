package agent

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingHandler writes records to a text handler and counts those whose message starts with
// prefix.
type countingHandler struct {
	slog.Handler
	prefix string
	n      *atomic.Int64
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, h.prefix) {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return countingHandler{h.Handler.WithAttrs(as), h.prefix, h.n}
}

func (h countingHandler) WithGroup(g string) slog.Handler {
	return countingHandler{h.Handler.WithGroup(g), h.prefix, h.n}
}

func startWatch(t *testing.T, path string, a *Agent) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- WatchFleet(ctx, path, a) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchFleet = %v", err)
		}
	})
}

func fleetDBs(a *Agent) int {
	if fl := a.Fleet(); fl != nil && len(fl.Servers) == 1 {
		return len(fl.Servers[0].Databases)
	}
	return -1
}

// An invalid fleet file is reported once, however often it or its neighbours (here the log
// file the warning goes to) change.
func TestWatchFleetWarnsOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(path, []byte("servers:\n  - name: s\n    databases: [a]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFleet(path)
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "emulator.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	var warned atomic.Int64
	h := countingHandler{slog.NewTextHandler(logFile, nil), "fleet file invalid", &warned}
	a := New(nil, Options{Fleet: f, Clock: NewFakeClock(t0), Logger: slog.New(h)})
	startWatch(t, path, a)
	write := func(s string) {
		tmp := filepath.Join(dir, ".fleet.tmp")
		if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	polls := 0
	waitFor(t, "the warning", func() bool {
		if polls%100 == 0 {
			write("servers: [oops\n")
		}
		polls++
		return warned.Load() > 0
	})
	write("servers: [oops\n")
	for i := range 5 {
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(strings.Repeat("x", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * watchDebounce)
	if n := warned.Load(); n != 1 {
		t.Fatalf("warned %d times about the same invalid content, want 1", n)
	}
	if fleetDBs(a) != 1 {
		t.Fatal("an invalid file replaced the fleet")
	}
	write("servers: [oops, again\n") // different content: warned again
	waitFor(t, "the second warning", func() bool { return warned.Load() == 2 })
	write("servers:\n  - name: s\n    databases: [a, b]\n")
	waitFor(t, "the reload", func() bool { return fleetDBs(a) == 2 })
}

// A fleet file reached through a symlinked directory that is swapped (as Kubernetes updates a
// mounted ConfigMap) is reloaded although no event names the file.
func TestWatchFleetSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	version := 0
	swap := func(dbs string) {
		version++
		v := filepath.Join(dir, "v"+strings.Repeat("i", version))
		if err := os.Mkdir(v, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(v, "fleet.yaml"), []byte("servers:\n  - name: s\n    databases: "+dbs+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(filepath.Base(v), tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	swap("[a]")
	path := filepath.Join(dir, "fleet.yaml")
	if err := os.Symlink(filepath.Join("..data", "fleet.yaml"), path); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFleet(path)
	if err != nil {
		t.Fatal(err)
	}
	a := New(nil, Options{Fleet: f, Clock: NewFakeClock(t0)})
	startWatch(t, path, a)
	polls := 0
	waitFor(t, "the reload", func() bool {
		if polls%100 == 0 {
			swap("[a, b]")
		}
		polls++
		return fleetDBs(a) == 2
	})
}
