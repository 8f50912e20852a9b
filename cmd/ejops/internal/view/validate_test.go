package view

import (
	"bytes"
	"testing"
)

// TestValidateLeftOut checks the lines that say what validate did not read: hidden paths by name,
// escaped, the first three of them, and counts of the others.
func TestValidateLeftOut(t *testing.T) {
	var stdout, stderr bytes.Buffer
	v := NewValidate(New(&stdout, &stderr, Text, false), ValidateOptions{})
	err := v.Result(ValidateResult{
		Files: 2, Documents: 3, Skipped: 1, Excluded: 2, LinkedFolders: 1,
		Hidden: []string{".github", "specs/.team", "x/.a\x1b]0;t\a.yaml", ".b", ".c"},
	})
	want := "skipped 1 document that is not an ejops spec\n" +
		`left out 5 hidden files and folders: .github, specs/.team, x/.a\x1b]0;t\a.yaml and 2 more` + "\n" +
		"left out 2 files and folders that .ejopsignore or --exclude name\n" +
		"did not follow 1 symbolic link to a folder\n" +
		"2 files, 3 documents: 0 errors, 0 warnings\n"
	if err != nil || stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s(err %v)", stderr.String(), want, err)
	}
}
