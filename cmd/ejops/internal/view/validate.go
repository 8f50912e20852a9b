package view

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ejops/ejops/spec"
	"github.com/ejops/ejops/spec/report"
)

// ValidateOptions are what the validate forms need besides the findings.
type ValidateOptions struct {
	Rules   report.Rules // metadata of every code validate can report
	Version string       // of ejops, for SARIF
	// StepSummary names the file the GitHub form appends a Markdown summary to; empty for none.
	StepSummary string
}

// ValidateResult is what validate found.
type ValidateResult struct {
	Diagnostics      spec.Diagnostics
	Files, Documents int
	Skipped          int      // documents of other tools, counted on stderr by the text form
	Hidden           []string // hidden files and folders left out, listed on stderr by the text form
	Excluded         int      // files and folders left out by .ejopsignore or --exclude, counted likewise
	LinkedFolders    int      // symbolic links to folders, not followed, likewise
	Strict           bool     // warnings fail too
}

// Validate is the view of validate: the findings on stdout in the chosen form, then a count line
// on stderr.
type Validate interface {
	Result(r ValidateResult) error
	// Explain prints the documentation of a diagnostic code.
	Explain(text string)
	// ListRules lists every diagnostic code with its default severity and summary.
	ListRules()
}

// NewValidate returns the validate view in v's form: text, JSON, GitHub or SARIF.
func NewValidate(v *View, o ValidateOptions) Validate {
	base := validateBase{v, o}
	switch v.Format {
	case JSON:
		return validateJSON{base}
	case GitHub:
		return validateGitHub{base}
	case SARIF:
		return validateSARIF{base}
	}
	return validateText{base}
}

type validateBase struct {
	*View
	ValidateOptions
}

func (v validateBase) ListRules() {
	rules := slices.Clone(v.Rules)
	slices.SortFunc(rules, func(a, b report.Rule) int { return strings.Compare(a.ID, b.ID) })
	for _, r := range rules {
		fmt.Fprintf(v.Stdout, "%-8s %-7s  %s: %s\n", r.ID, r.Severity, r.Name, r.Summary)
	}
	fmt.Fprintln(v.Stdout, "\nRun 'ejops validate --explain CODE' for a rule's help and examples.")
}

func (v validateBase) Explain(text string) {
	fmt.Fprint(v.Stdout, strings.TrimRight(text, "\n")+"\n")
}

// counted prints the count line unless the findings failed to print with err.
func (v validateBase) counted(r ValidateResult, err error) error {
	if err != nil {
		return err
	}
	errs, warns := r.Diagnostics.Count(spec.Error), r.Diagnostics.Count(spec.Warning)
	fmt.Fprintf(v.Stderr, "%d files, %d documents: %s, %s\n", r.Files, r.Documents, Count(errs, "error"), Count(warns, "warning"))
	return nil
}

type validateText struct{ validateBase }

func (v validateText) Result(r ValidateResult) error {
	err := report.Text(escaper{v.Stdout}, r.Diagnostics)
	if err == nil {
		v.leftOut(r)
	}
	return v.counted(r, err)
}

// names lists the first three of paths, escaped, and counts the rest.
func names(paths []string) string {
	const shown = 3
	var b strings.Builder
	for i, p := range paths[:min(shown, len(paths))] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(EscapeLine(p))
	}
	if len(paths) > shown {
		fmt.Fprintf(&b, " and %d more", len(paths)-shown)
	}
	return b.String()
}

// leftOut says on stderr what the load did not read, and why.
func (v validateText) leftOut(r ValidateResult) {
	hidden := ""
	if len(r.Hidden) > 0 {
		hidden = ": " + names(r.Hidden)
	}
	for _, l := range []struct {
		n               int
		one, many, tail string
	}{
		{r.Skipped, "skipped 1 document that is not an ejops spec", "skipped %d documents that are not ejops specs", ""},
		{len(r.Hidden), "left out 1 hidden file or folder", "left out %d hidden files and folders", hidden},
		{r.Excluded, "left out 1 file or folder that .ejopsignore or --exclude names", "left out %d files and folders that .ejopsignore or --exclude name", ""},
		{r.LinkedFolders, "did not follow 1 symbolic link to a folder", "did not follow %d symbolic links to folders", ""},
	} {
		switch {
		case l.n == 1:
			fmt.Fprintln(v.Stderr, l.one+l.tail)
		case l.n > 1:
			fmt.Fprintf(v.Stderr, l.many+"%s\n", l.n, l.tail)
		}
	}
}

type validateJSON struct{ validateBase }

func (v validateJSON) Result(r ValidateResult) error {
	return v.counted(r, report.JSON(v.Stdout, r.Diagnostics, v.Rules))
}

type validateSARIF struct{ validateBase }

func (v validateSARIF) Result(r ValidateResult) error {
	return v.counted(r, report.SARIF(v.Stdout, r.Diagnostics, v.Rules, v.Version))
}

// validateGitHub prints workflow-command annotations and appends a summary to the step summary.
type validateGitHub struct{ validateBase }

func (v validateGitHub) Result(r ValidateResult) error {
	err := report.GitHub(v.Stdout, r.Diagnostics, v.Rules)
	if err == nil {
		err = v.appendSummary(r)
	}
	return v.counted(r, err)
}

// appendSummary adds a Markdown summary to the step summary file, when there is one.
func (v validateGitHub) appendSummary(r ValidateResult) error {
	if v.StepSummary == "" {
		return nil
	}
	f, err := os.OpenFile(v.StepSummary, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open step summary: %w", err)
	}
	if err := report.Summary(f, r.Diagnostics, r.Files, r.Strict); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write step summary: %w", err)
	}
	return nil
}
