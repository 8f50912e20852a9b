//go:build unix

package spec

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestLoadNamedPipe checks that a named pipe is reported, not opened: opening a FIFO for reading
// blocks until a writer appears, which would hang the loader.
func TestLoadNamedPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "p.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sql := filepath.Join(dir, "sql", "step.sql")
	if err := os.Mkdir(filepath.Dir(sql), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(sql, 0o644); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "specs/job.yml", agentAndGroup+`apiVersion: ejops/v1
kind: Job
metadata: {name: j}
spec:
  steps:
    - {name: s, targetGroup: g, commandFile: ../sql/step.sql}
`)
	t.Chdir(dir)
	cases := map[string]string{
		"p.yaml": "p.yaml: error: SPEC001: cannot read file: not a regular file\n",
		".": "p.yaml: error: SPEC001: cannot read file: not a regular file\n" +
			"specs/job.yml:16:46: error: SPEC309: spec.steps[0].commandFile: cannot read sql/step.sql: not a regular file\n",
	}
	type result struct {
		path string
		ds   Diagnostics
	}
	done := make(chan result, len(cases))
	for path := range cases {
		go func() {
			_, ds := Load(path)
			done <- result{path, ds}
		}()
	}
	for range cases {
		select {
		case r := <-done:
			if got, want := render(r.ds), cases[r.path]; got != want {
				t.Errorf("Load(%q) diagnostics:\n%s\nwant:\n%s", r.path, got, want)
			}
		case <-time.After(10 * time.Second):
			// Release a loader blocked in open by opening the write end, then fail.
			for _, p := range []string{fifo, sql} {
				if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
			}
			t.Fatal("Load blocked on a named pipe")
		}
	}
}
