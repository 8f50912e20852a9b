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
// watches the file's directory, so editors' rename-writes and symlink swaps are seen, and ignores
// the other files there: an event for another name counts only when path (followed through
// symlinks) then stats differently. A file that fails to load is logged once per distinct content
// and the previous fleet is kept.
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
	base := filepath.Base(path)
	info, _ := os.Stat(path) // what path stated as at the last look; nil when missing
	changed := func() bool {
		cur, err := os.Stat(path)
		if err != nil || info == nil {
			d := (err == nil) != (info != nil)
			info = cur
			return d
		}
		d := !os.SameFile(info, cur) || !info.ModTime().Equal(cur.ModTime()) || info.Size() != cur.Size()
		info = cur
		return d
	}
	var last []byte    // content of the last reload
	loaded := false    // the first event always reloads
	var bad []byte     // content of the last invalid file, warned about
	var badRead string // error of the last unreadable file, warned about
	reload := func() {
		changed() // remember the file as read now
		data, err := os.ReadFile(path)
		if err != nil {
			if err.Error() != badRead {
				badRead = err.Error()
				a.log.Warn("fleet file unreadable; keeping the previous fleet", "path", path, "err", err)
			}
			return
		}
		badRead = ""
		if loaded && bytes.Equal(data, last) {
			return
		}
		f, err := ParseFleet(path, data)
		if err != nil {
			if bad == nil || !bytes.Equal(data, bad) {
				bad = data
				a.log.Warn("fleet file invalid; keeping the previous fleet", "path", path, "err", err)
			}
			return
		}
		last, loaded, bad = data, true, nil
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
			if filepath.Base(ev.Name) != base && !changed() {
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
