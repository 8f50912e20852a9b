package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// yamlBlock is a fenced YAML block of a Markdown file.
var yamlBlock = regexp.MustCompile("(?ms)^```yaml\n(.*?)^```$")

// TestReadmeExamples validates every YAML block of README.md on its own, warnings included: the
// README shows only specs that pass `ejops validate --strict` as shown.
func TestReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no YAML block")
	}
	for i, b := range blocks {
		dir := t.TempDir()
		file := filepath.Join(dir, "readme.yaml")
		if err := os.WriteFile(file, b[1], 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := Main([]string{"validate", "--strict", dir}, strings.NewReader(""), &stdout, &stderr)
		if code != exitOK {
			t.Errorf("README YAML block %d: validate exited %d\n%s%s\n%s", i+1, code, stdout.String(), stderr.String(), b[1])
		}
	}
}
