package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader and the checks: they must never panic, and every
// diagnostic must name the file and a position inside it.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"../examples/*/*.yaml", "testdata/invalid/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err == nil && len(data) < 64<<10 {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := newLoader(Options{})
		r := l.parseBytes("fuzz.yaml", specFile{path: "fuzz.yaml", tree: newTree(".")}, data, nil)
		set := &Set{}
		set.collect(r.docs)
		ds := r.diags
		for _, d := range r.docs {
			ds = append(ds, d.diags...)
		}
		check(set, r.docs, &ds)
		lines := strings.Count(string(data), "\n") + 2
		for _, d := range ds {
			if d.Code == "" || d.Message == "" {
				t.Errorf("diagnostic without code or message: %v", d)
			}
			if d.Pos.File == "fuzz.yaml" && (d.Pos.Line < 0 || d.Pos.Line > lines) {
				t.Errorf("position outside the file (%d lines): %v", lines, d)
			}
		}
	})
}
