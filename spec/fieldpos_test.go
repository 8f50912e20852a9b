package spec

import "testing"

// TestFieldPositions loads documents that write the same fields in different orders and styles, so
// the path numbers a document records are not in the order it reads them, and checks the
// position of every field, of list items, and the fallback to the document for a field not written.
func TestFieldPositions(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "specs.yaml", `apiVersion: ejops/v1
kind: Agent
metadata: {name: prod}
spec: {authentication: ManagedIdentity}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: g}
spec: {members: [{server: s.database.windows.net, database: d}]}
---
apiVersion: ejops/v1
kind: Job
metadata:
  name: a
spec:
  steps:
    - name: one
      targetGroup: g
      command: SELECT 1
      retry:
        attempts: 3
  description: first
---
kind: Job
apiVersion: ejops/v1
spec:
  description: second
  schedule: {every: 1d, start: 2026-01-01T00:00:00Z}
  steps:
    - retry: {maxInterval: 5m, attempts: 4}
      command: SELECT 2
      targetGroup: g
      name: two
    - {name: three, targetGroup: g, command: SELECT 3, timeout: 1h}
metadata: {name: b}
`)
	t.Chdir(dir)
	set, ds := Load(".")
	if got, want := render(ds), "specs.yaml:28:3: warning: SPEC303: spec.schedule: the job is not enabled, so the schedule never fires; add enabled: true\n"; got != want {
		t.Fatalf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
	want := map[string]map[string]string{
		"a": {
			"apiVersion": "11:13", "kind": "12:7", "metadata": "13:1", "metadata.name": "14:9", "spec": "15:1",
			"spec.steps": "16:3", "spec.steps[0]": "17:7", "spec.steps[0].name": "17:13",
			"spec.steps[0].targetGroup": "18:20", "spec.steps[0].command": "19:16", "spec.steps[0].retry": "20:7",
			"spec.steps[0].retry.attempts": "21:19", "spec.description": "22:16",
			"spec.schedule": "12:1", "spec.steps[1]": "12:1", "spec.steps[0].timeout": "12:1", "nothing": "12:1",
		},
		"b": {
			"kind": "24:7", "apiVersion": "25:13", "spec": "26:1", "spec.description": "27:16",
			"spec.schedule": "28:3", "spec.schedule.every": "28:21", "spec.schedule.start": "28:32",
			"spec.steps": "29:3", "spec.steps[0]": "30:7", "spec.steps[0].retry": "30:7",
			"spec.steps[0].retry.maxInterval": "30:28", "spec.steps[0].retry.attempts": "30:42",
			"spec.steps[0].command": "31:16", "spec.steps[0].targetGroup": "32:20", "spec.steps[0].name": "33:13",
			"spec.steps[1]": "34:7", "spec.steps[1].name": "34:14", "spec.steps[1].targetGroup": "34:34",
			"spec.steps[1].command": "34:46", "spec.steps[1].timeout": "34:65",
			"metadata": "35:1", "metadata.name": "35:18", "spec.steps[1].retry": "24:1",
		},
	}
	if len(set.Jobs) != 2 {
		t.Fatalf("%d jobs", len(set.Jobs))
	}
	for _, j := range set.Jobs {
		for path, at := range want[j.Name] {
			if got := j.FieldPos(path).String(); got != "specs.yaml:"+at {
				t.Errorf("job %s: FieldPos(%q) = %s, want specs.yaml:%s", j.Name, path, got, at)
			}
		}
	}
}
