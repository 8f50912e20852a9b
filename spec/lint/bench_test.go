package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ejops/ejops/spec"
)

// benchSet builds steps of about lines lines each from the clean and dirty corpus.
func benchSet(b *testing.B, steps, lines int) *spec.Set {
	files, _ := filepath.Glob("testdata/corpus/*/*.sql")
	if len(files) == 0 {
		b.Fatal("no corpus")
	}
	var chunks []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		chunks = append(chunks, string(src))
	}
	job := &spec.Job{}
	for i := 0; i < steps; i++ {
		var sb strings.Builder
		n := 0
		for k := i; n < lines; k++ {
			c := chunks[k%len(chunks)]
			sb.WriteString(c)
			n += strings.Count(c, "\n")
		}
		job.Steps = append(job.Steps, &spec.Step{Name: "s", Command: sb.String(),
			CommandSource: spec.Source{File: "jobs/x.yaml", Line: 10, Col: 9, Indent: 8}})
	}
	return &spec.Set{Jobs: []*spec.Job{job}}
}

func BenchmarkLint1000x200(b *testing.B) {
	set := benchSet(b, 1000, 200)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Lint(set)
	}
}

// worstCaseSteps are steps of about 1 MB that stress the guard bookkeeping: many early exits at the
// top of the batch, and deeply nested IFs.
func worstCaseSteps() []*spec.Step {
	var exits strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&exits, "IF OBJECT_ID(N'dbo.T%d', N'U') IS NOT NULL RETURN;\n", i)
	}
	exits.WriteString("CREATE TABLE dbo.Last (Id int NOT NULL CONSTRAINT PK_Last PRIMARY KEY);\n")
	nested := strings.Repeat("IF 1=1\n", 30000) + "ALTER TABLE dbo.T ADD C int NULL;\n"
	return []*spec.Step{{Name: "exits", Command: exits.String()}, {Name: "nested", Command: nested}}
}

func BenchmarkLintWorstCase(b *testing.B) {
	steps := worstCaseSteps()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, st := range steps {
			LintStep(st, Config{})
		}
	}
}
