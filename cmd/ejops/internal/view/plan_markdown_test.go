package view

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// checkGolden compares got with testdata/NAME; UPDATE_GOLDEN=1 rewrites the file.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s mismatch (run with UPDATE_GOLDEN=1 to accept)\n--- got\n%s", name, got)
	}
}

func member(typ, server, db string) jobdb.Member {
	return jobdb.Member{Membership: "Include", Type: typ, Server: server, Database: db}
}

// everyKindOfChange is a plan that creates, changes and deletes every kind of object and step,
// with lint findings on the changed steps and objects the plan leaves alone.
func everyKindOfChange(t *testing.T) (*runner.Plan, map[StepRef]spec.Diagnostics) {
	fp, _ := runner.Fingerprint("old")
	nightly := job("nightly", step("a", "SELECT 1;\nSELECT 2;\n"), step("b", "SELECT 5;"), step("gone", "SELECT 6;"), step("m", "SELECT 7;"))
	live := &jobdb.State{
		Credentials: []jobdb.Credential{{Name: "cred", Identity: "u"}, {Name: "old-cred", Identity: "x"}},
		TargetGroups: []jobdb.TargetGroup{
			{Name: "tg", Members: []jobdb.Member{member("SqlServer", "s1.database.windows.net", ""), member("SqlDatabase", "s2.database.windows.net", "d")}},
			{Name: "old-tg", Members: []jobdb.Member{member("SqlServer", "s3.database.windows.net", "")}},
		},
		Jobs: []jobdb.Job{applied(nightly), applied(job("old")), applied(job("handmade")), applied(job("found"))},
		Inventory: []jobdb.Owned{{Scope: "default", Kind: runner.KindCredential, Name: "cred", SecretFingerprint: fp},
			owned("default", runner.KindCredential, "old-cred"), owned("default", runner.KindTargetGroup, "tg"),
			owned("default", runner.KindTargetGroup, "old-tg"), owned("default", runner.KindJob, "nightly"),
			owned("default", runner.KindJob, "old"), owned("other", runner.KindJob, "theirs")},
	}
	live.Jobs = append(live.Jobs, applied(job("theirs")))
	changed := job("nightly", step("m", "SELECT 7;"), step("a", "SELECT 1;\nSELECT 3;\n"), step("b2", "SELECT 5;"), step("c", "SELECT 4;"))
	changed.Description = "Stats | <b>bold</b> & `code`"
	changed.Enabled = true
	changed.Steps[1].TimeoutSecs = 300
	// Step m moves to the first position, a changes, b is renamed b2, gone is deleted and c added.
	fresh := job("new <job> | @team", step("create", "-- ```not the end\nCREATE TABLE t (id int);\n````\n"))
	d := &runner.Desired{
		Credentials: []runner.DesiredCredential{{Name: "cred", Identity: "u2", SecretFrom: spec.SecretRef{Env: "X"}}, {Name: "new-cred", Identity: "n", SecretFrom: spec.SecretRef{Env: "Y"}}},
		TargetGroups: []runner.DesiredTargetGroup{
			{Name: "tg", Members: []runner.DesiredMember{{Membership: "Include", Type: "SqlServer", Server: "s1.database.windows.net"}, {Membership: "Exclude", Type: "SqlDatabase", Server: "s1.database.windows.net", Database: "scratch"}}},
			{Name: "new-tg", Members: []runner.DesiredMember{{Membership: "Include", Type: "SqlElasticPool", Server: "s4.database.windows.net", ElasticPool: "pool"}}},
		},
		Jobs: []runner.DesiredJob{applied2desired(live.Jobs[3]), fresh, changed},
	}
	p := diff(t, d, live, true)
	// A plan that prunes keeps nothing; a kept object is added by hand to show the list.
	p.Kept = append(p.Kept, runner.Ref{Kind: runner.KindJob, Name: "kept"})
	// Nor does it leave credentials unchecked: a preview does.
	p.Unverified = append(p.Unverified, runner.Unverified{Name: "new-cred", Reason: "secret not checked: Y is not set <b>"})
	fs := map[StepRef]spec.Diagnostics{
		{"nightly", "a"}:                {{Pos: spec.Pos{File: "jobs/nightly.yaml", Line: 12, Col: 9}, Severity: spec.Warning, Code: "EJ301", Message: "INSERT without a guard: a retry inserts the rows twice"}},
		{"new <job> | @team", "create"}: {{Pos: spec.Pos{File: "jobs/new.yaml", Line: 8, Col: 7}, Severity: spec.Error, Code: "EJ101", Message: "CREATE TABLE t without IF NOT EXISTS [see](http://x)"}},
		{"nightly", "gone"}:             {{Severity: spec.Warning, Code: "EJ999", Message: "a deleted step shows no finding"}},
	}
	return p, fs
}

// applied2desired is the desired job that matches a live one.
func applied2desired(j jobdb.Job) runner.DesiredJob {
	d := runner.DesiredJob{Name: j.Name, IntervalType: j.IntervalType, IntervalCount: j.IntervalCount, Start: j.Start, End: j.End}
	return d
}

func TestPlanMarkdownGolden(t *testing.T) {
	p, fs := everyKindOfChange(t)
	md := &PlanMarkdown{Findings: fs, FullPlan: "The full plan is in the artifacts of [run 7](https://github.com/o/r/actions/runs/7)."}
	got := md.Render(p)
	checkGolden(t, "plan_every_change.md", got)
	for _, a := range []runner.Action{runner.Create, runner.Update, runner.Delete} {
		for _, k := range []string{runner.KindCredential, runner.KindTargetGroup, runner.KindJob} {
			if !hasChange(p, k, a) {
				t.Errorf("the plan has no %s of a %s", a, k)
			}
		}
	}
	if len(p.Unmanaged) == 0 || len(p.Adopt) == 0 || len(p.Kept) == 0 {
		t.Errorf("the plan leaves no object of every list alone: %+v %+v %+v", p.Unmanaged, p.Adopt, p.Kept)
	}
	if strings.Contains(got, "a deleted step shows no finding") {
		t.Error("a finding of a deleted step is shown")
	}
	checkMarkdownSafe(t, got)

	var out bytes.Buffer
	var stderr bytes.Buffer
	if err := NewPlan(&View{Stdout: &out, Stderr: &stderr, Format: Markdown}).Plan(p); err != nil {
		t.Fatal(err)
	}
	if stderr.String() != "ejops: warning: credential \"new-cred\": secret not checked: Y is not set <b>\n" {
		t.Errorf("NewPlan(Markdown) warned:\n%s", stderr.String())
	}
	if !strings.HasPrefix(out.String(), "⚠️ **ejops plan** for scope <code>default</code>: 3 to add, 3 to change, 3 to destroy.\n") {
		t.Errorf("NewPlan(Markdown) wrote:\n%s", out.String())
	}
}

func TestPlanMarkdownNoChanges(t *testing.T) {
	p := diff(t, &runner.Desired{}, &jobdb.State{}, false)
	checkGolden(t, "plan_no_changes.md", (&PlanMarkdown{}).Render(p))
	p.Unverified = []runner.Unverified{{Name: "c", Reason: "secret not checked: X is not set"}}
	checkGolden(t, "plan_no_changes_unverified.md", (&PlanMarkdown{}).Render(p))
}

func hasChange(p *runner.Plan, kind string, a runner.Action) bool {
	for _, c := range p.Changes {
		if c.Kind == kind && c.Action == a {
			return true
		}
	}
	return false
}

var (
	rawTag   = regexp.MustCompile(`<(/?)([a-zA-Z]+)`)
	safeTags = map[string]bool{"details": true, "summary": true, "b": true, "code": true}
)

// checkMarkdownSafe fails when text from the plan escaped into markup: an HTML tag that the
// renderer does not write, code fences that do not pair up, or a mention or a link outside code
// blocks.
func checkMarkdownSafe(t *testing.T, md string) {
	t.Helper()
	var open string
	var outside strings.Builder
	for _, l := range strings.Split(md, "\n") {
		run := len(l) - len(strings.TrimLeft(l, "`"))
		switch {
		case open == "" && run >= 3:
			open = l[:run]
		case open != "" && run >= len(open) && strings.TrimSpace(l[run:]) == "":
			open = ""
		case open == "" && strings.Contains(l, "```"):
			t.Errorf("a line outside code blocks holds a fence: %q", l)
		case open == "":
			outside.WriteString(l + "\n")
		}
	}
	if open != "" {
		t.Error("a code block is not closed")
	}
	for _, m := range rawTag.FindAllStringSubmatch(outside.String(), -1) {
		if !safeTags[m[2]] {
			t.Errorf("raw HTML tag <%s%s> in the Markdown", m[1], m[2])
		}
	}
	if strings.Contains(outside.String(), "@team") || strings.Contains(outside.String(), "http://x") {
		t.Error("a mention or a link from the plan is live in the Markdown")
	}
}

func TestPlanMarkdownFitsAComment(t *testing.T) {
	const jobs = 5000
	d := &runner.Desired{}
	for i := range jobs {
		cmd := strings.Repeat(fmt.Sprintf("UPDATE t%d SET x = x WHERE id = %d;\n", i, i), 20)
		d.Jobs = append(d.Jobs, job(fmt.Sprintf("job-%04d", i), step("s", cmd), step("t", cmd)))
	}
	p := diff(t, d, &jobdb.State{}, false)
	got := (&PlanMarkdown{FullPlan: "See the artifact."}).Render(p)
	if n := utf8.RuneCountInString(got); n > MarkdownLimit || len(got) > MarkdownLimit {
		t.Fatalf("the Markdown of %d jobs takes %d characters, %d bytes; the limit is %d", jobs, n, len(got), MarkdownLimit)
	}
	note := regexp.MustCompile(`(?m)^> This plan is cut to fit GitHub's limit of 65536 characters: (\d+) of 5000 changes are not shown\. See the artifact\.\n$`)
	m := note.FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no cut note at the end:\n%s", got[len(got)-500:])
	}
	shown := strings.Count(got, "<details>")
	if fmt.Sprint(jobs-shown) != m[1] || shown < 10 {
		t.Errorf("%d sections shown, the note says %s are not", shown, m[1])
	}
	checkMarkdownSafe(t, got)
}

func TestPlanMarkdownCutsHugeBlocks(t *testing.T) {
	long := strings.Repeat("x", 1000)
	cmd := strings.Repeat(long+"\n", 500)
	p := diff(t, &runner.Desired{Jobs: []runner.DesiredJob{job("big", step("s", cmd))}}, &jobdb.State{}, false)
	got := (&PlanMarkdown{}).Render(p)
	if !regexp.MustCompile(`\n\*… \d+ more lines not shown\.\*\n`).MatchString(got) || strings.Contains(got, strings.Repeat("x", maxLineRunes+1)) {
		t.Errorf("a huge command is not cut:\n%.2000s", got)
	}
	if len(got) > maxBlockBytes+4096 {
		t.Errorf("a command of %d bytes takes %d bytes of Markdown", len(cmd), len(got))
	}
}

func TestMarkdownText(t *testing.T) {
	for in, want := range map[string]string{
		"nightly":          "nightly",
		"a|b":              "a&#124;b",
		"<img src=x>":      "&#60;img src&#61;x&#62;",
		"@team #1 [x](y)":  "&#64;team &#35;1 &#91;x&#93;&#40;y&#41;",
		"*_`~$\\":          "&#42;&#95;&#96;&#126;&#36;&#92;",
		"line\nbreak":      `&#34;line&#92;nbreak&#34;`,
		"naïve — 日本":       "naïve — 日本",
		"https://evil.com": "https&#58;//evil.com",
	} {
		if got := text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
}
