package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/ejops/ejops/spec"
	"github.com/ejops/ejops/spec/lint"
	"github.com/ejops/ejops/spec/report"
)

func init() {
	commands["validate"] = command{summary: "check specs: schema, references and T-SQL lint; no database", run: runValidate}
}

// validateArgs are the parsed flags of validate.
type validateArgs struct {
	format  string
	strict  bool
	explain string
	exclude patterns
	paths   []string
}

// patterns collects the values of a repeatable flag.
type patterns []string

func (p *patterns) String() string { return strings.Join(*p, ",") }

func (p *patterns) Set(v string) error {
	*p = append(*p, v)
	return nil
}

var validateFormats = []string{"text", "json", "github", "sarif"}

// parseValidateArgs parses validate's flags; a code >= 0 means stop with that exit code.
func parseValidateArgs(e *env, args []string) (validateArgs, int) {
	var a validateArgs
	fs := newFlags(e, "validate", "[flags] [PATH...]", `  ejops validate                      # every *.yaml and *.yml under .
  ejops validate --format github jobs/  # annotations in a GitHub Actions check
  ejops validate --format sarif . > ejops.sarif
  ejops validate --exclude testdata/ .  # leave fixtures out (or list them in .ejopsignore)
  ejops validate --explain EJ201`)
	fs.StringVar(&a.format, "format", "text", "output format: text, json, github or sarif")
	fs.BoolVar(&a.strict, "strict", false, "fail (exit 1) on warnings too")
	fs.Var(&a.exclude, "exclude", "leave out paths under each folder that match the gitignore `PATTERN`, as a line of its .ejopsignore would (repeatable)")
	fs.StringVar(&a.explain, "explain", "", "print the documentation of a diagnostic `CODE` and exit")
	fs.Bool("no-color", false, "no colour (validate never colours its output)")
	fs.String("scope", "default", "ownership `scope` (accepted for symmetry with plan and apply; validate does not use it)")
	if code := parseFlags(fs, args); code >= 0 {
		return a, code
	}
	a.format = strings.ToLower(a.format)
	if !slices.Contains(validateFormats, a.format) {
		return a, usageErrorf(e, "unknown --format %q; want %s", a.format, strings.Join(validateFormats, ", "))
	}
	a.paths = fs.Args()
	if len(a.paths) == 0 {
		a.paths = []string{"."}
	}
	return a, -1
}

func runValidate(_ context.Context, e *env, args []string) int {
	a, code := parseValidateArgs(e, args)
	if code >= 0 {
		return code
	}
	if a.explain != "" {
		text, ok := explain(a.explain)
		if !ok {
			return usageErrorf(e, "unknown diagnostic code %q", a.explain)
		}
		fmt.Fprint(e.stdout, strings.TrimRight(text, "\n")+"\n")
		return exitOK
	}
	// validate is short-lived and allocation-heavy: trading memory for fewer collections makes large
	// spec sets markedly faster.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	set, ds := validateWith(spec.Options{Exclude: a.exclude}, a.paths)
	rules := allRules()
	var err error
	switch a.format {
	case "json":
		err = report.JSON(e.stdout, ds, rules)
	case "github":
		err = report.GitHub(e.stdout, ds, rules)
		if err == nil {
			err = appendSummary(e, ds, set.Files, a.strict)
		}
	case "sarif":
		err = report.SARIF(e.stdout, ds, rules, buildVersion())
	default:
		err = report.Text(e.stdout, ds)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "ejops: %v\n", err)
		return exitFailure
	}
	errs, warns := ds.Count(spec.Error), ds.Count(spec.Warning)
	if a.format == "text" && set.Skipped > 0 {
		fmt.Fprintf(e.stderr, "skipped %s\n", notSpecs(set.Skipped))
	}
	fmt.Fprintf(e.stderr, "%d files, %d documents: %s, %s\n", set.Files, set.Documents, count(errs, "error"), count(warns, "warning"))
	if errs > 0 || a.strict && warns > 0 {
		return exitFailure
	}
	return exitOK
}

// validate loads and checks the specs under paths and lints their steps' T-SQL.
func validate(paths []string) (*spec.Set, spec.Diagnostics) {
	return validateWith(spec.Options{}, paths)
}

// validateWith is validate with load options.
func validateWith(o spec.Options, paths []string) (*spec.Set, spec.Diagnostics) {
	set, ds := o.Load(paths...)
	ds = append(ds, lint.Lint(set)...)
	ds.Sort()
	return set, ds
}

// appendSummary adds a Markdown summary to the file named by $GITHUB_STEP_SUMMARY, when set.
func appendSummary(e *env, ds spec.Diagnostics, files int, strict bool) error {
	path := e.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open step summary: %w", err)
	}
	if err := report.Summary(f, ds, files, strict); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write step summary: %w", err)
	}
	return nil
}

// notSpecs says how many documents were skipped as not ejops specs.
func notSpecs(n int) string {
	if n == 1 {
		return "1 document that is not an ejops spec"
	}
	return fmt.Sprintf("%d documents that are not ejops specs", n)
}

func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// allRules returns the metadata of every diagnostic code validate can report.
func allRules() report.Rules {
	return append(report.SpecRules(), lintRules()...)
}

// explain documents a spec or lint code.
func explain(code string) (string, bool) {
	if text, ok := spec.Explain(code); ok {
		return text, true
	}
	return lint.Explain(code)
}

// lintRules returns the lint rules' metadata for the report formats.
func lintRules() report.Rules {
	var out report.Rules
	for _, r := range lint.Rules() {
		out = append(out, report.Rule{ID: r.Code, Name: r.Name, Severity: r.Severity, Summary: r.Summary, Help: r.Help, Bad: r.Bad, Good: r.Good})
	}
	return out
}
