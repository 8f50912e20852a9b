package lint

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ejops/ejops/spec"
)

var update = flag.Bool("update", false, "rewrite golden files")

func lintSQL(name, src string) spec.Diagnostics {
	return LintStep(&spec.Step{Name: name, Command: src, CommandSource: spec.Source{File: name, Line: 1, Col: 1}}, Config{})
}

func render(ds spec.Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "%d:%d: %s: %s: %s\n", d.Pos.Line, d.Pos.Col, d.Severity, d.Code, d.Message)
	}
	return b.String()
}

// TestRules lints testdata/rules/EJxxx/{bad,good}_N.sql against .golden files. A bad snippet must
// produce its rule at warning or error (or info for info rules); a good one must not.
func TestRules(t *testing.T) {
	dirs, err := filepath.Glob("testdata/rules/EJ*")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, dir := range dirs {
		code := filepath.Base(dir)
		rule, ok := byCode[code]
		if !ok {
			t.Errorf("%s: unknown rule", dir)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
		var bad, good int
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ds := lintSQL(filepath.Base(f), string(src))
			got := render(ds)
			golden := strings.TrimSuffix(f, ".sql") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Errorf("%s: %v (run go test -update)", f, err)
				continue
			}
			if got != string(want) {
				t.Errorf("%s:\n got:\n%s\nwant:\n%s", f, got, want)
			}
			hit := false
			for _, d := range ds {
				if d.Code == code && (d.Severity != spec.Info || rule.Severity == spec.Info) {
					hit = true
				}
			}
			switch {
			case strings.HasPrefix(filepath.Base(f), "bad_"):
				bad++
				if !hit {
					t.Errorf("%s: expected %s", f, code)
				}
			case strings.HasPrefix(filepath.Base(f), "good_"):
				good++
				if hit {
					t.Errorf("%s: unexpected %s", f, code)
				}
			}
		}
		if bad < 3 || good < 3 {
			t.Errorf("%s: %d bad and %d good snippets, want at least 3 each", code, bad, good)
		}
		seen[code] = true
	}
	for _, r := range Rules() {
		if !seen[r.Code] {
			t.Errorf("rule %s has no testdata", r.Code)
		}
	}
}

// TestCorpus lints real-world scripts: clean ones must have no warning or error (false
// positives); each dirty twin names the codes it must produce in an "-- expect: EJxxx[, EJyyy]"
// line, and a missing one is a false negative.
func TestCorpus(t *testing.T) {
	clean, _ := filepath.Glob("testdata/corpus/clean/*.sql")
	dirty, _ := filepath.Glob("testdata/corpus/dirty/*.sql")
	if len(clean) < 30 || len(dirty) < 30 {
		t.Fatalf("corpus has %d clean and %d dirty scripts, want at least 30 each", len(clean), len(dirty))
	}
	fp, fn := 0, 0
	var fns []string
	for _, f := range clean {
		src, _ := os.ReadFile(f)
		for _, d := range lintSQL(filepath.Base(f), string(src)) {
			if d.Severity != spec.Info {
				fp++
				t.Errorf("false positive in %s: %s", f, d)
			}
		}
	}
	for _, f := range dirty {
		src, _ := os.ReadFile(f)
		want := expected(string(src))
		if len(want) == 0 {
			t.Errorf("%s has no -- expect: line", f)
			continue
		}
		got := map[string]bool{}
		for _, d := range lintSQL(filepath.Base(f), string(src)) {
			if d.Severity != spec.Info {
				got[d.Code] = true
			}
		}
		for _, code := range want {
			if _, ok := byCode[code]; !ok {
				t.Errorf("%s expects unknown code %s", f, code)
			}
			if !got[code] {
				fn++
				fns = append(fns, filepath.Base(f)+":"+code)
			}
		}
	}
	sort.Strings(fns)
	t.Logf("corpus: %d clean, %d dirty; false positives %d, false negatives %d %v", len(clean), len(dirty), fp, fn, fns)
	if fn > 0 {
		t.Errorf("%d expected findings missing: %v", fn, fns)
	}
}

// expected reads the codes of a script's "-- expect:" lines.
func expected(src string) []string {
	var out []string
	for line := range strings.SplitSeq(src, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- expect:")
		if !ok {
			continue
		}
		for c := range strings.SplitSeq(rest, ",") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

func TestExpected(t *testing.T) {
	if got := strings.Join(expected("-- expect: EJ401, EJ402\nSELECT 1;\n  -- expect: EJ104"), " "); got != "EJ401 EJ402 EJ104" {
		t.Fatalf("got %q", got)
	}
}

func TestBlockScalarPositions(t *testing.T) {
	// steps:
	//   - name: audit        (line 10)
	//     command: |         (line 11)
	//         CREATE TABLE…  (line 12, indented by 8)
	cmd := "SET NOCOUNT ON;\n\nCREATE TABLE dbo.Audit (Id int NOT NULL CONSTRAINT PK_Audit PRIMARY KEY);\n"
	st := &spec.Step{Name: "audit", Command: cmd,
		CommandSource: spec.Source{File: "jobs/nightly.yaml", Line: 12, Col: 9, Indent: 8}}
	ds := LintStep(st, Config{})
	if len(ds) != 1 {
		t.Fatalf("got %v", ds)
	}
	want := spec.Pos{File: "jobs/nightly.yaml", Line: 14, Col: 9}
	if ds[0].Pos != want || ds[0].Code != "EJ201" {
		t.Fatalf("got %v at %v, want EJ201 at %v", ds[0].Code, ds[0].Pos, want)
	}
	if !strings.HasPrefix(ds[0].Message, `step "audit": CREATE TABLE dbo.Audit is not guarded`) {
		t.Fatalf("message %q", ds[0].Message)
	}
	// first line maps through Col
	st.Command = "CREATE TABLE dbo.Audit (Id int NOT NULL CONSTRAINT PK_Audit PRIMARY KEY);"
	ds = LintStep(st, Config{})
	if len(ds) != 1 || ds[0].Pos != (spec.Pos{File: "jobs/nightly.yaml", Line: 12, Col: 9}) {
		t.Fatalf("got %v", ds)
	}
}

func TestDynamicSQLPositions(t *testing.T) {
	src := "EXEC (N'SELECT 1;\n  CREATE TABLE dbo.''X'' (Id int);');"
	ds := lintSQL("d.sql", src)
	if len(ds) != 1 || ds[0].Code != "EJ201" || ds[0].Pos.Line != 2 || ds[0].Pos.Col != 3 {
		t.Fatalf("got %v", ds)
	}
	// an outer guard covers the dynamic text
	ds = lintSQL("d.sql", "IF SCHEMA_ID(N'stage') IS NULL\n    EXEC (N'CREATE SCHEMA stage AUTHORIZATION dbo;');")
	if len(ds) != 0 {
		t.Fatalf("got %v", ds)
	}
}

func TestSuppressions(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"next statement", "-- ejops:ignore EJ301 seed rows, checked by the caller\nINSERT dbo.T (A) VALUES (1);\nINSERT dbo.U (A) VALUES (1);",
			"3:1: warning: EJ301"},
		{"trailing", "INSERT dbo.T (A) VALUES (1); -- ejops:ignore EJ301 log row per attempt\nINSERT dbo.U (A) VALUES (1);",
			"2:1: warning: EJ301"},
		{"by name", "DELETE dbo.T; -- ejops:ignore unbounded-dml the table is a queue",
			""},
		{"no reason", "DELETE dbo.T; -- ejops:ignore EJ303",
			"1:1: warning: EJ303 | 1:15: warning: EJ900"},
		{"unknown code", "DELETE dbo.T; -- ejops:ignore EJ999 because",
			"1:1: warning: EJ303 | 1:15: warning: EJ900"},
		{"unused", "-- ejops:ignore EJ201 nothing here\nSELECT 1;",
			"1:1: warning: EJ900"},
		{"whole if", "/* ejops:ignore EJ203 column added by the vendor's upgrade */\nIF @x = 1\n    ALTER TABLE dbo.T ADD C int NULL;",
			""},
		{"before GO", "SELECT 1;\n-- ejops:ignore EJ101 the agent splits this step on purpose\nGO\nSELECT 2;",
			""},
		{"before sqlcmd", "-- ejops:ignore EJ102 stripped by the deploy script\n:setvar x 1\nSELECT 1;",
			""},
		{"spaced codes", "-- ejops:ignore EJ303, EJ301 queue table, refilled each run\nDELETE dbo.Q;",
			""},
		{"spaced codes both used", "-- ejops:ignore EJ303 , EJ201 queue table, refilled each run\nBEGIN DELETE dbo.Q; CREATE TABLE dbo.Z (A int); END",
			""},
		{"file", "-- ejops:ignore-file EJ303 the step empties queues\nDELETE dbo.A;\nDELETE dbo.B;",
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range lintSQL("s.sql", tt.src) {
				got = append(got, fmt.Sprintf("%d:%d: %s: %s", d.Pos.Line, d.Pos.Col, d.Severity, d.Code))
			}
			if s := strings.Join(got, " | "); s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
}

func TestGoBlockComment(t *testing.T) {
	ds := lintSQL("g.sql", "SELECT 1;\nGO /* old code:\nDROP TABLE dbo.T;\nDELETE dbo.U;\n*/\nSELECT 2;")
	if len(ds) != 1 || ds[0].Code != "EJ101" || ds[0].Pos.Line != 2 {
		t.Fatalf("got %v", ds)
	}
}

func TestConfigAndIgnore(t *testing.T) {
	src := "DELETE dbo.T;\nCREATE TABLE dbo.X (Id int NOT NULL CONSTRAINT PK_X PRIMARY KEY);"
	set := &spec.Set{
		Agent: &spec.Agent{Lint: map[string]string{"EJ303": "off", "create-table-unguarded": "warning"}},
		Jobs: []*spec.Job{{Steps: []*spec.Step{
			{Name: "a", Command: src},
			{Name: "b", Command: src, LintIgnore: []string{"EJ201"}},
		}}},
	}
	ds := Lint(set)
	if len(ds) != 1 || ds[0].Code != "EJ201" || ds[0].Severity != spec.Warning || !strings.Contains(ds[0].Message, `step "a"`) {
		t.Fatalf("got %v", ds)
	}
}

func TestUnknownConfigCodes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "spec.yaml")
	src := `apiVersion: ejops/v1
kind: Agent
metadata: {name: a}
spec:
  authentication: ManagedIdentity
  lint:
    EJ303: "off"
    EJ999: warning
    no-such-rule: "off"
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: g}
spec: {members: [{server: s.database.windows.net, database: d}]}
---
apiVersion: ejops/v1
kind: Job
metadata: {name: j}
spec:
  steps:
    - name: s
      targetGroup: g
      command: DELETE dbo.Q;
      lint:
        ignore: [EJ301, EJ998]
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set, ds := spec.Load(path)
	if ds.HasErrors() {
		t.Fatalf("load: %v", ds)
	}
	var got []string
	for _, d := range Lint(set) {
		got = append(got, fmt.Sprintf("%d:%d %s %s", d.Pos.Line, d.Pos.Col, d.Code, d.Message))
	}
	want := []string{
		`8:12 EJ900 agent "a": lint names unknown rule "EJ999"; its severity override does nothing`,
		`9:19 EJ900 agent "a": lint names unknown rule "no-such-rule"; its severity override does nothing`,
		`25:25 EJ900 step "s": lint ignore names unknown rule "EJ998"; nothing is ignored for it`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestScalarStylePositions loads commands written in each YAML scalar style and checks where the
// EJ303 finding on DELETE lands in the file.
func TestScalarStylePositions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.yaml")
	src := `apiVersion: ejops/v1
kind: Agent
metadata: {name: a}
spec: {authentication: ManagedIdentity}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: g}
spec: {members: [{server: s.database.windows.net, database: d}]}
---
apiVersion: ejops/v1
kind: Job
metadata: {name: j}
spec:
  steps:
    - name: dq
      targetGroup: g
      command: "SELECT 1; DELETE dbo.Q;"
    - name: sq
      targetGroup: g
      command: 'DELETE dbo.Q;'
    - name: folded
      targetGroup: g
      command: >
        SELECT 1;

        DELETE dbo.Q;
    - name: indicator
      targetGroup: g
      command: |2-
           SELECT 1;
          DELETE dbo.Q;
    - name: literal
      targetGroup: g
      command: |
        SELECT 1;
        DELETE dbo.Q;
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set, ds := spec.Load(path)
	if ds.HasErrors() {
		t.Fatalf("load: %v", ds)
	}
	got := map[string]string{}
	for _, d := range Lint(set) {
		if d.Code == "EJ303" {
			got[d.Message[:strings.Index(d.Message, ":")]] = fmt.Sprintf("%d:%d", d.Pos.Line, d.Pos.Col)
		}
	}
	want := map[string]string{
		`step "dq"`:        "18:27",
		`step "sq"`:        "21:17",
		`step "folded"`:    "27:9",
		`step "indicator"`: "32:11",
		`step "literal"`:   "37:9",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: EJ303 at %s, want %s", k, got[k], w)
		}
	}
}

func TestRulesAndExplain(t *testing.T) {
	rs := Rules()
	if rs[0].Code != "EJ000" {
		t.Fatalf("first rule %s", rs[0].Code)
	}
	for i, r := range rs {
		if i > 0 && rs[i-1].Code >= r.Code {
			t.Errorf("rules not sorted at %s", r.Code)
		}
		if r.Name == "" || r.Summary == "" || r.Help == "" || r.Bad == "" || r.Good == "" {
			t.Errorf("%s: incomplete documentation", r.Code)
		}
		bad := lintSQL("bad.sql", r.Bad)
		if !hasCode(bad, r.Code) {
			t.Errorf("%s: its Bad example does not trigger it: %v", r.Code, bad)
		}
		if good := lintSQL("good.sql", r.Good); hasCode(good, r.Code) && r.Severity != spec.Info && !onlyInfo(good, r.Code) {
			t.Errorf("%s: its Good example triggers it: %v", r.Code, good)
		}
	}
	text, ok := Explain("ej201")
	if !ok || !strings.Contains(text, "create-table-unguarded") || !strings.Contains(text, "Bad:") {
		t.Fatalf("Explain = %q, %v", text, ok)
	}
	if _, ok := Explain("drop-without-if-exists"); !ok {
		t.Fatal("Explain by name failed")
	}
	if _, ok := Explain("EJ999"); ok {
		t.Fatal("Explain of unknown code succeeded")
	}
}

func hasCode(ds spec.Diagnostics, code string) bool {
	for _, d := range ds {
		if d.Code == code {
			return true
		}
	}
	return false
}

func FuzzLint(f *testing.F) {
	files, _ := filepath.Glob("testdata/rules/*/*.sql")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	// Every finding lies inside its input: its byte offset within the text (the end included,
	// where a finding about a missing END points), its line among the text's lines, its column
	// at most one past the line's last rune; and the diagnostics come in position order.
	f.Fuzz(func(t *testing.T, src string) {
		l := &linter{src: src}
		l.lintText(src, nil, false, nil, 0)
		for _, f := range l.applySuppressions() {
			if f.off < 0 || f.off > len(src) {
				t.Fatalf("%s at offset %d of a %d-byte text", f.code, f.off, len(src))
			}
		}
		lines := strings.Split(src, "\n")
		ds := lintSQL("f.sql", src)
		for i, d := range ds {
			p := d.Pos
			if p.Line < 1 || p.Line > len(lines) || p.Col < 1 || p.Col > utf8.RuneCountInString(lines[p.Line-1])+1 {
				t.Fatalf("%v lies outside the %d-line text", d, len(lines))
			}
			if prev := ds[max(i-1, 0)].Pos; p.Line < prev.Line || p.Line == prev.Line && p.Col < prev.Col {
				t.Fatalf("%v comes after %v", d, prev)
			}
		}
	})
}

func onlyInfo(ds spec.Diagnostics, code string) bool {
	for _, d := range ds {
		if d.Code == code && d.Severity != spec.Info {
			return false
		}
	}
	return true
}
