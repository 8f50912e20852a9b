package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestEjopsVersion(t *testing.T) {
	ours := []string{"ejops/v1", "ejops/v2", "ejops/v1beta1", "ejop/v1", "Ejops/v1", "EJOPS/V1", "ejops", "ejops.v1", "ejopsv1", "ejops-v1", "jeops/v1", "ejops/1"}
	others := []string{"v1", "v2", "1", "apps/v1", "batch/v1", "jobs/v1", "ops/v1", "policy/v1", "networking.k8s.io/v1",
		"kustomize.config.k8s.io/v1beta1", "argoproj.io/v1alpha1", "skaffold/v4beta6", "tekton.dev/v1", "eksctl.io/v1alpha5"}
	for _, v := range ours {
		if !ejopsVersion(v) {
			t.Errorf("%q is not taken for an ejops version", v)
		}
	}
	for _, v := range others {
		if ejopsVersion(v) {
			t.Errorf("%q is taken for an ejops version", v)
		}
	}
}

func TestIsSpec(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want bool
	}{
		{"apiVersion: ejops/v1\nkind: Job\n", true},
		{"apiVersion: ejop/v1\nkind: Deployment\n", true}, // a near miss decides, whatever the kind
		{"kind: Job\nmetadata: {name: j}\n", true},
		{"kind: targetgroup\n", true},
		{"apiVersion: ~\nkind: Agent\n", true},
		{"apiVersion: [ejops/v1]\nkind: Agent\n", true},
		{"- apiVersion: ejops/v1\n  kind: Agent\n", true},
		{"just a string\n", true},
		{"v: &v ejops/v1\napiVersion: *v\n", true},
		{"apiVersion: batch/v1\nkind: Job\n", false}, // a Kubernetes Job
		{"apiVersion: v1\nkind: Service\n", false},
		{"apiVersion: 1\ndatasources: []\n", false},
		{"services: {db: {image: x}}\n", false},
		{"kind: Deployment\n", false},
		{"name: ci\non: [push]\njobs: {}\n", false},
		{"- hosts: all\n  tasks: []\n", false},
		{"apiVersion: apps/v1\napiVersion: ejops/v1\n", false}, // the first of repeated keys decides
	} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(c.doc), &n); err != nil {
			t.Fatal(err)
		}
		if got := isSpec(n.Content[0]); got != c.want {
			t.Errorf("isSpec(%q) = %v, want %v", c.doc, got, c.want)
		}
	}
}

func TestLooksLikeSpec(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"apiVersion: ejops/v1\nkind: Job\nmetadata: {name: x\n", true},
		{"{apiVersion: \"ejops/v1\", kind: Job", true},
		{"kind: Agent\nmetadata:\n\tname: a\n", true},
		{"apiVersion: Ejops/v1\n", true},
		{"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n", false},
		{"apiVersion: batch/v1\nkind: Job\n  bad: [\n", false},
		{"services:\n  db: {image: x\n", false},
		{"subkind: Job\n", false},
	} {
		if got := looksLikeSpec([]byte(c.text)); got != c.want {
			t.Errorf("looksLikeSpec(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// TestLoadSkipsOtherTools loads a repository root: documents of other tools are counted, not
// reported, with their stray separators and their syntax and encoding errors.
func TestLoadSkipsOtherTools(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "jobs/agent.yaml", "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: a}\nspec: {authentication: ManagedIdentity}\n")
	write(t, dir, "docker-compose.yml", "x-env: &env {A: b}\nservices:\n  app: {environment: *env, <<: {image: x}}\n")
	write(t, dir, "k8s/all.yaml", "apiVersion: v1\nkind: Service\n---\napiVersion: batch/v1\nkind: Job\n---\n---\n")
	write(t, dir, "chart/templates/d.yaml", "apiVersion: apps/v1\nmetadata:\n  name: {{ .Name }\n")
	write(t, dir, "latin1.yaml", "name: caf\xe9\n")
	write(t, dir, "tags.yaml", "Resources: {B: {Value: !Ref X}}\n")
	t.Chdir(dir)
	set, ds := Load(".")
	if len(ds) > 0 {
		t.Errorf("diagnostics:\n%s", render(ds))
	}
	if set.Skipped != 6 || set.Documents != 1 || set.Files != 6 || set.Agent == nil {
		t.Errorf("skipped %d, documents %d, files %d, agent %v; want 6, 1, 6 and the agent", set.Skipped, set.Documents, set.Files, set.Agent)
	}

	// A file that does not parse is reported when it looks like a spec, or follows one.
	write(t, dir, "jobs/broken.yaml", "apiVersion: ejops/v1\nkind: Job\nmetadata: {name: x\n")
	write(t, dir, "jobs/second.yaml", "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: b}\nspec: {}\n---\nservices: {a: [\n")
	write(t, dir, "jobs/latin1.yaml", "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: caf\xe9}\n")
	_, ds = Load(".")
	var codes []string
	for _, d := range ds {
		codes = append(codes, d.Pos.File+" "+d.Code)
	}
	want := "jobs/broken.yaml SPEC005,jobs/latin1.yaml SPEC004,jobs/second.yaml SPEC208,jobs/second.yaml SPEC005"
	if got := strings.Join(codes, ","); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// TestLoadNoSpecs checks that a folder of other tools' documents is an error, unlike a named file
// or a folder of empty files.
func TestLoadNoSpecs(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "k8s/svc.yaml", "apiVersion: v1\nkind: Service\n")
	write(t, dir, "one/svc.yaml", "apiVersion: v1\nkind: Service\n---\napiVersion: v1\nkind: Service\n")
	write(t, dir, "empty/e.yaml", "# nothing\n")
	t.Chdir(dir)
	set, ds := Load("k8s", "one", "empty", "k8s/svc.yaml")
	want := `empty/e.yaml: warning: SPEC008: file holds no documents
k8s: error: SPEC002: no ejops specs in this folder (1 document of another tool skipped)
one: error: SPEC002: no ejops specs in this folder (2 documents of other tools skipped)
`
	if got := render(ds); got != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
	if set.Skipped != 3 {
		t.Errorf("skipped %d, want 3", set.Skipped)
	}
}

// TestLoadIgnore checks the ignore file and the exclude patterns, and that they stay within the
// folder they belong to.
func TestLoadIgnore(t *testing.T) {
	dir := t.TempDir()
	spec := "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: %s}\nspec: {authentication: ManagedIdentity}\n"
	bad := "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: bad}\nspec: {bogus: 1}\n"
	write(t, dir, "a/agent.yaml", strings.Replace(spec, "%s", "a", 1))
	write(t, dir, "a/testdata/bad.yaml", bad)
	write(t, dir, "a/fixtures/bad.yaml", bad)
	write(t, dir, "a/fixtures/keep.yaml", bad)
	write(t, dir, "a/x.bad.yaml", bad)
	write(t, dir, "a/"+IgnoreFile, "# test data\ntestdata/\nfixtures/*\n!fixtures/keep.yaml\r\n")
	write(t, dir, "b/testdata/bad.yaml", bad) // a's ignore file does not reach b
	t.Chdir(dir)
	got := func(o Options, paths ...string) string {
		_, ds := o.Load(paths...)
		var files []string
		for _, d := range ds {
			if len(files) == 0 || files[len(files)-1] != d.Pos.File {
				files = append(files, d.Pos.File)
			}
		}
		return strings.Join(files, " ")
	}
	if g := got(Options{}, "a", "b"); g != "a/fixtures/keep.yaml a/x.bad.yaml b/testdata/bad.yaml" {
		t.Errorf("ignore file: reported %q", g)
	}
	if g := got(Options{Exclude: []string{"*.bad.yaml", "/testdata"}}, "a", "b"); g != "a/fixtures/keep.yaml b" {
		t.Errorf("exclude: reported %q", g) // b holds no file left
	}
	if g := got(Options{Exclude: []string{"**/keep.yaml"}}, "a"); g != "a/x.bad.yaml" {
		t.Errorf("exclude after the ignore file: reported %q", g)
	}
	if g := got(Options{Exclude: []string{"testdata/"}}, "b/testdata/bad.yaml"); g != "b/testdata/bad.yaml" {
		t.Errorf("a named file is read: reported %q", g)
	}
	if err := os.Remove(filepath.Join(dir, "a", IgnoreFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "a", IgnoreFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, ds := Load("a"); !strings.Contains(render(ds), "a/.ejopsignore: error: SPEC001: cannot read file: not a regular file") {
		t.Errorf("unreadable ignore file not reported:\n%s", render(ds))
	}
}
