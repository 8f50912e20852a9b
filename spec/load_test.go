package spec

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/invalid")

func render(ds Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestInvalidCorpus loads every file and folder of testdata/invalid and compares the diagnostics with
// its .golden file; go test -run InvalidCorpus -update rewrites them. The codes each case must
// produce are checked against invalidCodes first, which -update does not touch.
func TestInvalidCorpus(t *testing.T) {
	entries, err := os.ReadDir("testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".golden") {
			continue
		}
		n++
		path := filepath.Join("testdata/invalid", e.Name())
		golden := strings.TrimSuffix(path, filepath.Ext(path)) + ".golden"
		t.Run(e.Name(), func(t *testing.T) {
			_, ds := Load(path)
			got := render(ds)
			if !ds.HasErrors() && ds.Count(Warning) == 0 {
				t.Errorf("no diagnostics for an invalid spec")
			}
			checkInvalidCodes(t, e.Name(), ds)
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics mismatch\n--- want\n%s--- got\n%s", want, got)
			}
		})
	}
	if n < 40 {
		t.Errorf("corpus has %d cases, want at least 40", n)
	}
}

func TestExamplesValidateClean(t *testing.T) {
	dirs, err := filepath.Glob("../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || filepath.Base(dir) == "github" {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			set, ds := Load(dir)
			if len(ds) > 0 {
				t.Errorf("diagnostics:\n%s", render(ds))
			}
			if len(set.Jobs) == 0 || len(set.TargetGroups) == 0 {
				t.Errorf("example declares %d jobs and %d target groups, want at least one of each", len(set.Jobs), len(set.TargetGroups))
			}
		})
	}
	if n < 5 {
		t.Errorf("found %d example folders, want quickstart and at least four more", n)
	}
}

func TestLoadModel(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sql/step.sql", "SELECT 1;\n")
	write(t, dir, "specs.yaml", `apiVersion: ejops/v1
kind: Credential
metadata: {name: job-cred}
spec:
  identity: jobuser
  secretFrom: {file: secrets/job}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: tenants}
spec:
  members:
    - server: s.database.windows.net
      refreshCredential: job-cred
    - server: s.database.windows.net
      database: scratch
      membership: Exclude
---
apiVersion: ejops/v1
kind: Job
metadata: {name: nightly}
spec:
  description: d
  enabled: true
  schedule: {every: 2h, start: 2026-01-01T02:00:00Z}
  steps:
    - name: block
      targetGroup: tenants
      credential: job-cred
      command: |
        EXEC sp_updatestats;
        SELECT 2;
      timeout: 2h
      retry: {attempts: 3, initialInterval: 5s, maxInterval: 2m, backoffMultiplier: 1.5}
      maxParallelism: 4
      lint: {ignore: [EJ301]}
      output: {server: r.database.windows.net, database: r, table: t, credential: job-cred}
    - name: plain
      targetGroup: tenants
      credential: job-cred
      command: "SELECT 1;"
    - name: file
      targetGroup: tenants
      credential: job-cred
      commandFile: sql/step.sql
      timeout: 43200s
      retry: {attempts: 10, initialInterval: 1s, maxInterval: 120s, backoffMultiplier: 2}
---
apiVersion: ejops/v1
kind: Agent
metadata: {name: prod}
spec:
  lint: {EJ301: "off"}
`)
	t.Chdir(dir)
	set, ds := Load(".")
	if len(ds) > 0 {
		t.Fatalf("diagnostics:\n%s", render(ds))
	}
	if set.Files != 1 || set.Documents != 4 {
		t.Errorf("Files, Documents = %d, %d, want 1, 4", set.Files, set.Documents)
	}
	c := set.Credentials[0]
	if c.Identity != "jobuser" || c.SecretFrom.File != "secrets/job" || c.Pos != (Pos{"specs.yaml", 2, 1}) {
		t.Errorf("credential = %+v", c)
	}
	g := set.TargetGroups[0]
	if len(g.Members) != 2 || g.Members[0].Type() != MemberServer || g.Members[0].Membership != "Include" ||
		g.Members[1].Type() != MemberDatabase || g.Members[1].Membership != "Exclude" || g.Members[1].Pos != (Pos{"specs.yaml", 15, 7}) {
		t.Errorf("members = %+v", g.Members)
	}
	j := set.Jobs[0]
	want := Schedule{IntervalType: "Hours", IntervalCount: 2, Start: time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)}
	if j.Schedule == nil || *j.Schedule != want || !j.Enabled || j.Description != "d" {
		t.Errorf("job = %+v schedule %+v", j, j.Schedule)
	}
	s := j.Steps[0]
	if s.Command != "EXEC sp_updatestats;\nSELECT 2;\n" || s.CommandSource != (Source{File: "specs.yaml", Line: 31, Col: 9, Indent: 8}) {
		t.Errorf("block step command %q source %+v", s.Command, s.CommandSource)
	}
	if p := s.CommandSource.Map(2, 1); p != (Pos{"specs.yaml", 32, 9}) {
		t.Errorf("Map(2, 1) = %v", p)
	}
	if s.Timeout != 2*time.Hour || s.Retry != (Retry{3, 5 * time.Second, 2 * time.Minute, 1.5}) || s.MaxParallelism != 4 {
		t.Errorf("step timing = %v %+v %d", s.Timeout, s.Retry, s.MaxParallelism)
	}
	if len(s.LintIgnore) != 1 || s.LintIgnore[0] != "EJ301" || s.Output == nil || s.Output.Schema != "dbo" || s.Output.Credential != "job-cred" {
		t.Errorf("step = %+v output %+v", s, s.Output)
	}
	if p := j.FieldPos("spec.steps[0].timeout"); p != (Pos{"specs.yaml", 33, 16}) {
		t.Errorf("FieldPos(timeout) = %v", p)
	}
	if s := j.Steps[1]; s.CommandSource != (Source{File: "specs.yaml", Line: 41, Col: 17, Indent: -1}) || s.Timeout != DefaultTimeout ||
		s.Retry != (Retry{DefaultRetryAttempts, DefaultInitialInterval, DefaultMaxInterval, DefaultBackoffMultiplier}) {
		t.Errorf("plain step = %+v", s)
	}
	// A stated default equals an omitted one.
	if a, b := j.Steps[1], j.Steps[2]; a.Timeout != b.Timeout || a.Retry != b.Retry {
		t.Errorf("stated defaults differ from omitted ones: %+v %+v", a.Retry, b.Retry)
	}
	if s := j.Steps[2]; s.Command != "SELECT 1;\n" || s.CommandFile != "sql/step.sql" || s.CommandSource != (Source{File: "sql/step.sql", Line: 1, Col: 1, Indent: 0}) {
		t.Errorf("file step = %+v", s)
	}
	if set.Agent == nil || set.Agent.Authentication != AuthCredential || set.Agent.Lint["EJ301"] != "off" {
		t.Errorf("agent = %+v", set.Agent)
	}
}

// agentAndGroup starts a spec file that declares an Agent with a managed identity and a target
// group g, so that a job that follows needs nothing else.
const agentAndGroup = `apiVersion: ejops/v1
kind: Agent
metadata: {name: a}
spec: {authentication: ManagedIdentity}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: g}
spec: {members: [{server: s.database.windows.net}]}
---
`

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a/b/deep.yml", "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: a}\nspec: {authentication: ManagedIdentity}\n")
	write(t, dir, ".git/ignored.yaml", "not: a spec\n")
	write(t, dir, "notes.txt", "not: a spec\n")
	if err := os.Symlink("nowhere.yaml", filepath.Join(dir, "dangling.yaml")); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, MaxFileSize+1)
	write(t, dir, "big/huge.yaml", string(big))
	t.Chdir(dir)
	_, ds := Load(".", "missing")
	want := `big/huge.yaml: error: SPEC003: file is 8388609 bytes; spec files are limited to 8388608 bytes
dangling.yaml: error: SPEC001: cannot read file: no such file or directory
missing: error: SPEC001: cannot read path: no such file or directory
`
	if got := render(ds); got != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
}

func TestCommandTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("        SELECT 1;\n", 110000)
	write(t, dir, "job.yaml", "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: a}\nspec: {authentication: ManagedIdentity}\n---\n"+
		"apiVersion: ejops/v1\nkind: TargetGroup\nmetadata: {name: g}\nspec: {members: [{server: s.database.windows.net}]}\n---\n"+
		"apiVersion: ejops/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  steps:\n    - name: s\n      targetGroup: g\n      command: |\n"+big)
	t.Chdir(dir)
	_, ds := Load(".")
	want := "job.yaml:18:16: error: SPEC308: spec.steps[0]: command is 2200000 bytes as nvarchar; the job database allows 2097152 (2 MiB)\n"
	if got := render(ds); got != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
}
