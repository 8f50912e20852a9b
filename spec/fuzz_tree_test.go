//go:build unix

package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// outsideMarker is the content of the files outside the tree of FuzzLoadTree.
const outsideMarker = "OUTSIDE-MARKER"

// FuzzLoadTree loads a folder whose spec file is the fuzzed bytes, next to a sql/step.sql and a
// link.yaml that layout turns into regular files, symbolic links inside and outside the folder
// (to /proc/self/environ among others), named pipes, directories, devices and dangling or looping
// links. Load must finish, never panic, never block on a pipe, and never read a file outside the
// folder; every diagnostic must have a code and a message.
func FuzzLoadTree(f *testing.F) {
	f.Add([]byte(agentAndGroup+"apiVersion: ejops/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  steps:\n    - {name: s, targetGroup: g, commandFile: sql/step.sql}\n"), uint8(1))
	f.Fuzz(func(t *testing.T, doc []byte, layout uint8) {
		if bytes.Contains(doc, []byte(outsideMarker)) {
			t.Skip()
		}
		dir := t.TempDir()
		root := filepath.Join(dir, "repo")
		write(t, dir, "outside/secret.sql", "SELECT '"+outsideMarker+"';\n")
		write(t, dir, "outside/group.yaml", "apiVersion: ejops/v1\nkind: TargetGroup\nmetadata: {name: "+outsideMarker+"}\nspec: {members: [{server: s.database.windows.net}]}\n")
		write(t, root, "job.yaml", string(doc))
		write(t, root, "sql/real.sql", "SELECT 1;\n")
		treeEntry(t, filepath.Join(root, "sql/step.sql"), layout%8, "../../outside/secret.sql")
		treeEntry(t, filepath.Join(root, "link.yaml"), layout/8%8, "../outside/group.yaml")

		type result struct {
			set *Set
			ds  Diagnostics
		}
		done := make(chan result, 1)
		go func() {
			set, ds := Load(root)
			done <- result{set, ds}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Load did not finish: blocked on a special file?")
		}
		for _, d := range r.ds {
			if d.Code == "" || d.Message == "" {
				t.Errorf("diagnostic without code or message: %v", d)
			}
			if strings.Contains(d.Message, outsideMarker) {
				t.Errorf("a diagnostic shows a file outside the folder: %v", d)
			}
		}
		for _, g := range r.set.TargetGroups {
			if g.Name == outsideMarker {
				t.Errorf("loaded a spec file outside the folder")
			}
		}
		for _, j := range r.set.Jobs {
			for _, s := range j.Steps {
				if strings.Contains(s.Command, outsideMarker) || strings.Contains(s.Command, "PATH=") {
					t.Errorf("step %q read a file outside the folder: %q", s.Name, s.Command)
				}
			}
		}
	})
}

// treeEntry makes path one of eight kinds of entry, by kind: a regular file, a link to outside, a
// named pipe, a link to /proc/self/environ, a dangling link, a folder, a link to a device, a link
// to itself.
func treeEntry(t *testing.T, path string, kind uint8, outside string) {
	var err error
	switch kind {
	case 0:
		err = os.WriteFile(path, []byte("SELECT 2;\n"), 0o644)
	case 1:
		err = os.Symlink(outside, path)
	case 2:
		err = syscall.Mkfifo(path, 0o644)
	case 3:
		err = os.Symlink("/proc/self/environ", path)
	case 4:
		err = os.Symlink("nowhere", path)
	case 5:
		err = os.Mkdir(path, 0o755)
	case 6:
		err = os.Symlink("/dev/zero", path)
	case 7:
		err = os.Symlink(filepath.Base(path), path)
	}
	if err != nil {
		t.Fatal(err)
	}
}
