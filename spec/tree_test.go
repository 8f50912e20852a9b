//go:build unix

package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadStaysInsideTree checks that the loader reads no file outside the folder it is given:
// commandFiles that are absolute, climb out with .., or are symbolic links out (to
// /proc/self/environ among others), spec files and ignore files that link out. Each is refused at
// its position and nothing of the outside file reaches the loaded set.
func TestLoadStaysInsideTree(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "outside/secret.sql", "SELECT 'OUTSIDE-SECRET';\n")
	write(t, dir, "outside/agent.yaml", "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: OUTSIDE-SECRET}\nspec: {}\n")
	write(t, dir, "outside/ignore", "OUTSIDE-SECRET\n")
	write(t, dir, "repo/sql/real.sql", "SELECT 1;\n")
	write(t, dir, "repo/sql/nul.sql", "SELECT 1;\n\x00SELECT 2;\n")
	write(t, dir, "repo/job.yaml", agentAndGroup+`apiVersion: ejops/v1
kind: Job
metadata: {name: j}
spec:
  steps:
    - {name: environ, targetGroup: g, commandFile: sql/environ.sql}
    - {name: absolute, targetGroup: g, commandFile: /etc/hostname}
    - {name: climb, targetGroup: g, commandFile: ../outside/secret.sql}
    - {name: link, targetGroup: g, commandFile: sql/secret.sql}
    - {name: inside, targetGroup: g, commandFile: sql/alias.sql}
    - {name: nul-file, targetGroup: g, commandFile: sql/nul.sql}
    - {name: nul-inline, targetGroup: g, command: "SELECT 1;\0SELECT 2;"}
`)
	write(t, dir, "other/job.yaml", agentAndGroup+`apiVersion: ejops/v1
kind: Job
metadata: {name: k}
spec:
  steps:
    - {name: s, targetGroup: g, commandFile: ../repo/sql/real.sql}
`)
	for link, target := range map[string]string{
		"repo/sql/environ.sql": "/proc/self/environ",
		"repo/sql/secret.sql":  "../../outside/secret.sql",
		"repo/sql/alias.sql":   "real.sql",
		"repo/linked.yaml":     "../outside/agent.yaml",
		"other/.ejopsignore":   "../outside/ignore",
		"current":              "repo",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)

	set, ds := Load("repo")
	want := `repo/job.yaml:16:52: error: SPEC009: spec.steps[0].commandFile: sql/environ.sql resolves to a path outside repo; ejops reads only files inside the folders it is given
repo/job.yaml:17:53: error: SPEC009: spec.steps[1].commandFile: /etc/hostname is an absolute path; name a file relative to this YAML file, inside the folder ejops reads
repo/job.yaml:18:50: error: SPEC009: spec.steps[2].commandFile: ../outside/secret.sql resolves to a path outside repo; ejops reads only files inside the folders it is given
repo/job.yaml:19:49: error: SPEC009: spec.steps[3].commandFile: sql/secret.sql resolves to a path outside repo; ejops reads only files inside the folders it is given
repo/job.yaml:22:61: error: SPEC402: the step's T-SQL holds a NUL character (U+0000); remove it
repo/linked.yaml: error: SPEC009: file resolves to a path outside repo; ejops reads only files inside the folders it is given
repo/sql/nul.sql:2:1: error: SPEC402: the step's T-SQL holds a NUL character (U+0000); remove it
`
	if got := render(ds); got != want {
		t.Errorf("Load(repo) diagnostics:\n%s\nwant:\n%s", got, want)
	}
	for _, j := range set.Jobs {
		for _, s := range j.Steps {
			if strings.Contains(s.Command, "OUTSIDE-SECRET") || strings.Contains(s.Command, "PATH=") {
				t.Errorf("step %s read a file outside the tree: %q", s.Name, s.Command)
			}
		}
	}
	if set.Agent != nil && set.Agent.Name != "a" {
		t.Errorf("the agent came from outside the tree: %s", set.Agent.Name)
	}

	// A folder argument that is itself a link, as git-sync's is, is resolved first: what lies inside
	// its target is inside, the rest is not.
	_, ds = Load("current")
	if got, want := render(ds), strings.ReplaceAll(want, "repo", "current"); got != want {
		t.Errorf("Load(current) diagnostics:\n%s\nwant:\n%s", got, want)
	}

	// A file argument's tree is its folder; its folder's ignore file is not read.
	const climb = "other/job.yaml:16:46: error: SPEC009: spec.steps[0].commandFile: ../repo/sql/real.sql resolves to a path outside other; ejops reads only files inside the folders it is given\n"
	if _, ds = Load("other/job.yaml"); render(ds) != climb {
		t.Errorf("Load(other/job.yaml) diagnostics:\n%s\nwant:\n%s", render(ds), climb)
	}
	// A folder argument's ignore file must stay inside it too.
	_, ds = Load("other")
	if got, want := render(ds), "other/.ejopsignore: error: SPEC009: file resolves to a path outside other; ejops reads only files inside the folders it is given\n"+climb; got != want {
		t.Errorf("Load(other) diagnostics:\n%s\nwant:\n%s", got, want)
	}
}
