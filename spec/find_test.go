//go:build unix

package spec

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestFindEverySpec checks which files a folder argument yields: *.yaml and *.yml in any case, and
// what it leaves out and lists or counts: hidden files and folders (but .git, which never holds
// specs), the YAML files and the folders that the ignore patterns name, and the links to folders,
// which it does not follow.
func TestFindEverySpec(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"a.yaml", "B.YAML", "c.Yml", "d.YML", ".hidden.yaml", ".team/e.yaml", "notes.txt", "f.yaml.bak",
		".git/g.yaml", "sub/.git/h.yaml", "drafts/i.yaml", "drafts/j.yaml", "skip.yaml", "skip.md", "other/k.yaml",
	} {
		write(t, dir, name, "")
	}
	write(t, dir, IgnoreFile, "drafts/\nskip.*\n")
	for link, target := range map[string]string{"linked": "other", "alias.yaml": "a.yaml"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	l := newLoader(Options{Exclude: []string{"other/"}})
	var ds Diagnostics
	files, _ := l.find([]string{"."}, &ds)
	var got []string
	for _, f := range files {
		got = append(got, filepath.ToSlash(f.path))
	}
	want := []string{"B.YAML", "a.yaml", "alias.yaml", "c.Yml", "d.YML"}
	if len(ds) != 0 || !slices.Equal(got, want) {
		t.Errorf("find(.) = %q, %v; want %q", got, ds, want)
	}
	// drafts/i.yaml, drafts/j.yaml, skip.yaml and other/k.yaml; a pattern matches the files under a
	// folder, or the folder as a whole when it names a path below it.
	if hidden := []string{".hidden.yaml", ".team"}; !slices.Equal(l.hidden, hidden) {
		t.Errorf("hidden paths %q, want %q", l.hidden, hidden)
	}
	if l.excluded != 4 || l.linkedFolders != 1 {
		t.Errorf("counted %d excluded paths and %d links to folders, want 4 and 1", l.excluded, l.linkedFolders)
	}
}

// TestIsSpecFileName checks the rule the sidecar's watcher shares with the loader.
func TestIsSpecFileName(t *testing.T) {
	for name, want := range map[string]bool{
		"a.yaml": true, "B.YAML": true, "c.Yml": true, "d.yml": true,
		".e.yaml": false, "f.yaml.bak": false, "g.json": false, "yaml": false,
	} {
		if got := IsSpecFileName(name); got != want {
			t.Errorf("IsSpecFileName(%q) = %t, want %t", name, got, want)
		}
	}
}
