package lint

import (
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
