package agent

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchDebounce is how long WatchFleet waits for a burst of file events to settle.
var watchDebounce = 100 * time.Millisecond

// WatchFleet reloads the fleet file at path into a whenever it changes, until ctx is done. It
// watches the file's directory, so editors' rename-writes and symlink swaps are seen. A file that
// fails to load is logged and the previous fleet is kept.
func WatchFleet(ctx context.Context, path string, a *Agent) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch fleet: %w", err)
	}
	defer w.Close()
	dir := filepath.Dir(path)
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("watch fleet directory %s: %w", dir, err)
	}
	var last []byte // content of the last reload
	loaded := false // the first event always reloads
	reload := func() {
		data, err := os.ReadFile(path)
		if err != nil {
			a.log.Warn("fleet file unreadable; keeping the previous fleet", "path", path, "err", err)
			return
		}
		if loaded && bytes.Equal(data, last) {
			return
		}
		f, err := ParseFleet(path, data)
		if err != nil {
			a.log.Warn("fleet file invalid; keeping the previous fleet", "path", path, "err", err)
			return
		}
		last, loaded = data, true
		a.SetFleet(f)
		a.log.Info("fleet reloaded", "path", path, "servers", len(f.Servers))
	}
	var debounce <-chan time.Time
	var timer *time.Timer
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(watchDebounce)
			} else {
				timer.Reset(watchDebounce)
			}
			debounce = timer.C
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			a.log.Warn("fleet watch error", "path", path, "err", err)
		case <-debounce:
			debounce = nil
			reload()
		}
	}
}
