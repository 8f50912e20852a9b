package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ejops/ejops/spec"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var sample = spec.Diagnostics{
	{Pos: spec.Pos{File: "jobs/b.yaml", Line: 3, Col: 7}, Severity: spec.Warning, Code: "SPEC303", Message: "spec.schedule: the job is not enabled"},
	{Pos: spec.Pos{File: "jobs/a,1:x.yaml", Line: 12, Col: 5}, Severity: spec.Error, Code: "EJ201", Message: "CREATE TABLE dbo.Audit has no guard; 100% fails\non the second run | retry"},
	{Pos: spec.Pos{File: "jobs/a,1:x.yaml"}, Severity: spec.Error, Code: "SPEC004", Message: "file is not valid UTF-8"},
	{Pos: spec.Pos{File: "jobs/b.yaml", Line: 9, Col: 1}, Severity: spec.Info, Code: "EJ502", Message: "dynamic SQL"},
}

var sampleRules = Rules{
	{ID: "SPEC004", Name: "not-utf8", Severity: spec.Error, Summary: "A file is not valid UTF-8.", Help: "Save the file as UTF-8."},
	{ID: "EJ201", Name: "create-table-unguarded", Severity: spec.Error, Summary: "CREATE TABLE without an existence guard", Help: "Wrap it in IF OBJECT_ID(...) IS NULL.",
		Bad: "CREATE TABLE dbo.A (Id int);", Good: "IF OBJECT_ID(N'dbo.A', N'U') IS NULL\n    CREATE TABLE dbo.A (Id int);"},
	{ID: "SPEC303", Name: "schedule-disabled", Severity: spec.Warning, Summary: "A schedule that never fires."},
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s mismatch\n--- want\n%s--- got\n%s", name, want, got)
	}
}

func TestFormats(t *testing.T) {
	tests := map[string]func(*bytes.Buffer) error{
		"text.golden":    func(b *bytes.Buffer) error { return Text(b, sample) },
		"json.golden":    func(b *bytes.Buffer) error { return JSON(b, sample, sampleRules) },
		"github.golden":  func(b *bytes.Buffer) error { return GitHub(b, sample, sampleRules) },
		"summary.golden": func(b *bytes.Buffer) error { return Summary(b, sample, 2, false) },
		"sarif.golden":   func(b *bytes.Buffer) error { return SARIF(b, sample, sampleRules, "v1.2.3") },
	}
	for name, render := range tests {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, name, b.Bytes())
		})
	}
}

func TestGitHubEscaping(t *testing.T) {
	var b bytes.Buffer
	if err := GitHub(&b, sample[1:2], nil); err != nil {
		t.Fatal(err)
	}
	want := "::error file=jobs/a%2C1%3Ax.yaml,line=12,col=5,title=EJ201::CREATE TABLE dbo.Audit has no guard; 100%25 fails%0Aon the second run | retry\n"
	if b.String() != want {
		t.Errorf("GitHub() = %q, want %q", b.String(), want)
	}
}

func TestEmptyReports(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, nil, nil); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("JSON(nil) = %q, %v; want []", b.String(), err)
	}
	b.Reset()
	if err := SARIF(&b, nil, nil, "devel"); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Results []any `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil || len(doc.Runs) != 1 || doc.Runs[0].Results == nil {
		t.Errorf("SARIF(nil) = %s, %v; want one run with an empty results array", b.String(), err)
	}
}

func TestSARIFRuleIndex(t *testing.T) {
	var b bytes.Buffer
	if err := SARIF(&b, sample, sampleRules, "v1"); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex *int   `json:"ruleIndex"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	for _, r := range run.Results {
		if r.RuleIndex == nil {
			if r.RuleID != "EJ502" {
				t.Errorf("result %s has no ruleIndex", r.RuleID)
			}
			continue
		}
		if got := run.Tool.Driver.Rules[*r.RuleIndex].ID; got != r.RuleID {
			t.Errorf("result %s points at rule %s", r.RuleID, got)
		}
	}
}

func TestSARIFRuleText(t *testing.T) {
	var b bytes.Buffer
	if err := SARIF(&b, sample, sampleRules, "v1"); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID              string `json:"id"`
						FullDescription struct {
							Text string `json:"text"`
						} `json:"fullDescription"`
						Help struct {
							Text     string `json:"text"`
							Markdown string `json:"markdown"`
						} `json:"help"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Runs[0].Tool.Driver.Rules {
		switch r.ID {
		case "EJ201":
			if r.FullDescription.Text != "CREATE TABLE without an existence guard. Wrap it in IF OBJECT_ID(...) IS NULL." {
				t.Errorf("EJ201 fullDescription %q", r.FullDescription.Text)
			}
			if !strings.Contains(r.Help.Markdown, "```sql\nCREATE TABLE dbo.A (Id int);\n```") || !strings.Contains(r.Help.Markdown, "IF OBJECT_ID(N'dbo.A', N'U') IS NULL") {
				t.Errorf("EJ201 help.markdown %q", r.Help.Markdown)
			}
		case "SPEC004":
			if r.FullDescription.Text != "A file is not valid UTF-8. Save the file as UTF-8." || r.Help.Markdown != "" {
				t.Errorf("SPEC004 fullDescription %q, markdown %q", r.FullDescription.Text, r.Help.Markdown)
			}
		}
	}
}
