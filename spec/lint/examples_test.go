package lint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ejops/ejops/spec"
)

// TestExamplesLintClean lints every example folder: each must load without errors and its T-SQL
// must draw no warning or error.
func TestExamplesLintClean(t *testing.T) {
	dirs, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil || !st.IsDir() || filepath.Base(dir) == "github" {
			continue
		}
		set, ds := spec.Load(dir)
		if ds.HasErrors() {
			t.Errorf("%s does not load: %v", dir, ds)
			continue
		}
		for _, d := range Lint(set) {
			if d.Severity != spec.Info {
				t.Errorf("%s: %s", dir, d)
			}
		}
		checked++
	}
	if checked < 6 {
		t.Fatalf("linted %d example folders, want at least 6", checked)
	}
}
