package spec

import "testing"

// TestFieldPositions loads documents that write the same fields in different orders and styles,
// and checks the position of every field, of list items, of an Agent's lint keys, and the fallback
// to the document for a field not written.
func TestFieldPositions(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "specs.yaml", `apiVersion: ejops/v1
kind: Agent
metadata: {name: prod}
spec:
  authentication: ManagedIdentity
  lint: {EJ301: "off", EJ201: warning}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: g}
spec:
  members:
    - {server: s.database.windows.net, database: d}
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
	if got, want := render(ds), "specs.yaml:32:3: warning: SPEC303: spec.schedule: the job is not enabled, so the schedule never fires; add enabled: true\n"; got != want {
		t.Fatalf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
	want := map[string]map[string]string{
		"a": {
			"apiVersion": "15:13", "kind": "16:7", "metadata": "17:1", "metadata.name": "18:9", "spec": "19:1",
			"spec.steps": "20:3", "spec.steps[0]": "21:7", "spec.steps[0].name": "21:13",
			"spec.steps[0].targetGroup": "22:20", "spec.steps[0].command": "23:16", "spec.steps[0].retry": "24:7",
			"spec.steps[0].retry.attempts": "25:19", "spec.description": "26:16",
			"spec.schedule": "16:1", "spec.steps[1]": "16:1", "spec.steps[0].timeout": "16:1", "nothing": "16:1",
		},
		"prod": {
			"spec": "4:1", "spec.authentication": "5:19", "spec.lint": "6:3", "spec.lint.EJ301": "6:17",
			"spec.lint.EJ201": "6:31", "spec.lint.EJ999": "2:1",
		},
		"g": {
			"spec.members": "12:3", "spec.members[0]": "13:7", "spec.members[0].server": "13:16",
			"spec.members[0].database": "13:50", "spec.members[0].membership": "9:1",
		},
		"b": {
			"kind": "28:7", "apiVersion": "29:13", "spec": "30:1", "spec.description": "31:16",
			"spec.schedule": "32:3", "spec.schedule.every": "32:21", "spec.schedule.start": "32:32",
			"spec.steps": "33:3", "spec.steps[0]": "34:7", "spec.steps[0].retry": "34:7",
			"spec.steps[0].retry.maxInterval": "34:28", "spec.steps[0].retry.attempts": "34:42",
			"spec.steps[0].command": "35:16", "spec.steps[0].targetGroup": "36:20", "spec.steps[0].name": "37:13",
			"spec.steps[1]": "38:7", "spec.steps[1].name": "38:14", "spec.steps[1].targetGroup": "38:34",
			"spec.steps[1].command": "38:46", "spec.steps[1].timeout": "38:65",
			"metadata": "39:1", "metadata.name": "39:18", "spec.steps[1].retry": "28:1",
		},
	}
	if len(set.Jobs) != 2 || set.Agent == nil || len(set.TargetGroups) != 1 {
		t.Fatalf("%d jobs, agent %v, %d target groups", len(set.Jobs), set.Agent, len(set.TargetGroups))
	}
	metas := []*Meta{&set.Agent.Meta, &set.TargetGroups[0].Meta, &set.Jobs[0].Meta, &set.Jobs[1].Meta}
	for _, m := range metas {
		for path, at := range want[m.Name] {
			if got := m.FieldPos(path).String(); got != "specs.yaml:"+at {
				t.Errorf("%s: FieldPos(%q) = %s, want specs.yaml:%s", m.Name, path, got, at)
			}
		}
	}
}

// TestFieldPositionsOutOfOrder records fields out of path order, one twice, as a document does
// whose fields other documents numbered first, and finds each after seal.
func TestFieldPositionsOutOfOrder(t *testing.T) {
	paths := newFieldPaths()
	spec := paths.step(pathStep{key: "spec", index: -1})
	steps := paths.step(pathStep{parent: spec, key: "steps", index: -1})
	item := paths.step(pathStep{parent: steps, index: 1})
	timeout := paths.step(pathStep{parent: item, key: "timeout", index: -1})
	other := paths.step(pathStep{parent: spec, key: "description", index: -1})
	f := fieldPositions{paths: paths}
	f.add(timeout, 9, 16)
	f.add(spec, 2, 1)
	f.add(item, 8, 7)
	f.add(spec, 2, 1)
	f.add(steps, 3, 3)
	f.seal()
	if len(f.at) != 4 {
		t.Errorf("%d positions after seal, want 4 (one field was read twice)", len(f.at))
	}
	for p, want := range map[string][2]int{"spec": {2, 1}, "spec.steps": {3, 3}, "spec.steps[1]": {8, 7}, "spec.steps[1].timeout": {9, 16}} {
		if line, col, ok := f.find(p); !ok || line != want[0] || col != want[1] {
			t.Errorf("find(%q) = %d, %d, %v, want %d, %d", p, line, col, ok, want[0], want[1])
		}
	}
	if paths.path(other) != "spec.description" {
		t.Errorf("path(%d) = %q", other, paths.path(other))
	}
	for _, p := range []string{"spec.description", "spec.steps[0]", ""} {
		if _, _, ok := f.find(p); ok {
			t.Errorf("find(%q) found a field the document does not hold", p)
		}
	}
}
