package spec

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// loadQuickly loads path and fails the test when that takes longer than limit.
func loadQuickly(t *testing.T, limit time.Duration, o Options, path string) (*Set, Diagnostics) {
	t.Helper()
	start := time.Now()
	set, ds := o.Load(path)
	if took := time.Since(start); took > limit {
		t.Errorf("Load(%s) took %s, want under %s", path, took, limit)
	}
	return set, ds
}

// TestLoadManyDocuments checks that a file of 1.39 million one-line documents (8 MB) fails fast
// with a clear error and a bounded list of diagnostics, instead of parsing, checking and listing
// every document.
func TestLoadManyDocuments(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "many.yaml", strings.Repeat("--- x\n", 1_390_000))
	t.Chdir(dir)
	set, ds := loadQuickly(t, 10*time.Second, Options{}, "many.yaml")
	if set.Documents != MaxFileDocuments {
		t.Errorf("read %d documents, want %d", set.Documents, MaxFileDocuments)
	}
	if len(ds) > MaxFileDiagnostics+2 {
		t.Errorf("%d diagnostics, want at most %d", len(ds), MaxFileDiagnostics+2)
	}
	got := render(ds)
	for _, want := range []string{
		"many.yaml:1001:5: error: SPEC010: 9000 more diagnostics in this file from here on (9000 errors, 0 warnings) are not listed; ejops lists at most 1000 per file\n",
		"many.yaml:10001:1: error: SPEC010: more than 10000 documents in this file; ejops reads at most 10000 per file, so the rest is not read: split the file\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics lack %q", want)
		}
	}
}

// TestLoadRunLimits checks the limits on a run: documents in all, across files read in parallel,
// and diagnostics in all.
func TestLoadRunLimits(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		write(t, dir, fmt.Sprintf("f%d.yaml", i), strings.Repeat("--- x\n", 4))
	}
	t.Chdir(dir)
	o := Options{limits: &limits{fileDocs: 5, docs: 10, fileDiags: 3, diags: 7}}
	set, ds := o.Load(".")
	if set.Documents != 10 {
		t.Errorf("read %d documents, want 10", set.Documents)
	}
	got := render(ds)
	if n := strings.Count(got, "SPEC010: more than 10 documents in all; ejops reads at most 10 per run"); n != 1 {
		t.Errorf("the run limit is reported %d times, want once:\n%s", n, got)
	}
	if n := strings.Count(got, "SPEC103"); n != 7 {
		t.Errorf("%d diagnostics listed, want 7:\n%s", n, got)
	}
	if n := strings.Count(got, "are not listed; ejops lists at most 7 per run"); n != 1 {
		t.Errorf("%d notes of the diagnostics left out of the run, want 1:\n%s", n, got)
	}
	counted := 0
	for _, d := range ds {
		if note, ok := parseOmitted(d); ok {
			counted += note.all
		}
	}
	if counted != 3 {
		t.Errorf("the notes count %d diagnostics, want 3:\n%s", counted, got)
	}
}

// TestLimit checks how diagnostics beyond the limits are counted, and that limiting a limited list
// with more diagnostics added counts the earlier notes in.
func TestLimit(t *testing.T) {
	diag := func(file string, line int, sev Severity) Diagnostic {
		return Diagnostic{Pos: Pos{File: file, Line: line, Col: 1}, Severity: sev, Code: "SPEC101", Message: "m"}
	}
	ds := Diagnostics{
		diag("a", 1, Warning), diag("a", 2, Error), diag("a", 3, Warning), diag("a", 4, Error), diag("a", 5, Info),
		diag("b", 1, Info), diag("b", 2, Warning),
		diag("c", 1, Error), diag("c", 2, Error), diag("d", 1, Warning),
	}
	first := ds.limit(2, 5)
	want := `a:1:1: warning: SPEC101: m
a:2:1: error: SPEC101: m
a:3:1: error: SPEC010: 3 more diagnostics in this file from here on (1 errors, 1 warnings) are not listed; ejops lists at most 2 per file
b:1:1: info: SPEC101: m
b:2:1: warning: SPEC101: m
c:1:1: error: SPEC101: m
c:2:1: error: SPEC010: 2 more diagnostics from here on (1 errors, 1 warnings) are not listed; ejops lists at most 5 per run
`
	if got := render(first); got != want {
		t.Errorf("limit:\n%s\nwant:\n%s", got, want)
	}
	again := append(first, diag("a", 1, Info), diag("a", 9, Error), diag("e", 1, Error))
	again.Sort()
	want = `a:1:1: warning: SPEC101: m
a:1:1: info: SPEC101: m
a:2:1: error: SPEC010: 5 more diagnostics in this file from here on (3 errors, 1 warnings) are not listed; ejops lists at most 2 per file
b:1:1: info: SPEC101: m
b:2:1: warning: SPEC101: m
c:1:1: error: SPEC101: m
c:2:1: error: SPEC010: 3 more diagnostics from here on (2 errors, 1 warnings) are not listed; ejops lists at most 5 per run
`
	if got := render(again.limit(2, 5)); got != want {
		t.Errorf("limit again:\n%s\nwant:\n%s", got, want)
	}
	if got := render(first.limit(2, 5)); got != render(first) {
		t.Errorf("limiting twice changed the list:\n%s", got)
	}
}

// TestLoadHostileDocument checks that one document with hundreds of thousands of problems is
// walked in linear time and reports a bounded number of them.
func TestLoadHostileDocument(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: a}\nspec:\n")
	for i := range 100_000 {
		fmt.Fprintf(&b, "  k%d: 1\n", i)
	}
	b.WriteString(strings.Repeat("  k99999: 1\n", 20_000))
	write(t, dir, "keys.yaml", b.String())
	t.Chdir(dir)
	_, ds := loadQuickly(t, 15*time.Second, Options{}, "keys.yaml")
	if len(ds) > MaxFileDiagnostics+2 {
		t.Errorf("%d diagnostics, want at most %d", len(ds), MaxFileDiagnostics+2)
	}
	if want := "keys.yaml:101005:3: error: SPEC010: more than 1000 problems in this document; ejops checks at most 1000, so the rest of it is not checked\n"; !strings.Contains(render(ds), want) {
		t.Errorf("diagnostics lack %q", want)
	}
}

// TestHintsBounded checks that thousands of references to undeclared names among thousands of
// declared ones are checked quickly: "did you mean" hints stop when they have compared enough names.
func TestHintsBounded(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(agentAndGroup)
	for i := range 4000 {
		fmt.Fprintf(&b, "apiVersion: ejops/v1\nkind: TargetGroup\nmetadata: {name: group-%d}\nspec: {members: [{server: s.database.windows.net}]}\n---\n", i)
		fmt.Fprintf(&b, "apiVersion: ejops/v1\nkind: Job\nmetadata: {name: job-%d}\nspec: {steps: [{name: s, targetGroup: grp-%d, command: SELECT 1;}]}\n---\n", i, i)
	}
	write(t, dir, "refs.yaml", b.String())
	t.Chdir(dir)
	_, ds := loadQuickly(t, 15*time.Second, Options{limits: &limits{fileDocs: 10_000, docs: 10_000, fileDiags: 10_000, diags: 10_000}}, "refs.yaml")
	got := render(ds)
	if n := strings.Count(got, "SPEC202"); n != 4000 {
		t.Errorf("%d undeclared target groups reported, want 4000", n)
	}
	if !strings.Contains(got, `target group "grp-0" is not declared by any TargetGroup spec; did you mean "group-0"?`) {
		t.Errorf("the first references lack their hint:\n%.500s", got)
	}
}
