package main

import (
	"context"
	"strings"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/spec"
	"github.com/ejops/ejops/spec/lint"
	"github.com/ejops/ejops/spec/report"
)

func init() {
	commands["validate"] = command{summary: "check specs: schema, references and T-SQL lint; no database", run: runValidate}
}

// validateArgs are the parsed flags of validate.
type validateArgs struct {
	format  view.Format
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

// parseValidateArgs parses validate's flags; a code >= 0 means stop with that exit code.
func parseValidateArgs(e *env, args []string) (validateArgs, int) {
	var a validateArgs
	fs := newFlags(e, "validate", "[flags] [PATH...]", `  ejops validate                      # every *.yaml and *.yml under .
  ejops validate --format github jobs/  # annotations in a GitHub Actions check
  ejops validate --format sarif . > ejops.sarif
  ejops validate --exclude testdata/ .  # leave fixtures out (or list them in .ejopsignore)
  ejops validate --explain EJ201`)
	format := fs.String("format", "text", "output format: text, json, github or sarif")
	fs.BoolVar(&a.strict, "strict", false, "fail (exit 1) on warnings too")
	fs.Var(&a.exclude, "exclude", "leave out paths under each folder that match the gitignore `PATTERN`, as a line of its .ejopsignore would (repeatable)")
	fs.Var((*explainFlag)(&a.explain), "explain", "print the documentation of a diagnostic code (--explain CODE) and exit;\nalone, list every code")
	fs.Bool("no-color", false, "no colour (validate never colours its output)")
	fs.String("scope", "default", "ownership `scope` (accepted for symmetry with plan and apply; validate does not use it)")
	if code := parseFlags(fs, args); code >= 0 {
		return a, code
	}
	var err error
	if a.format, err = view.ParseFormat(*format, view.Text, view.JSON, view.GitHub, view.SARIF); err != nil {
		return a, usageErrorf(e, "%v", err)
	}
	a.paths = fs.Args()
	if a.explain == explainAll && len(a.paths) > 0 {
		// --explain CODE: the code was parsed as an argument.
		if len(a.paths) > 1 {
			return a, usageErrorf(e, "validate: --explain takes one code")
		}
		a.explain, a.paths = a.paths[0], nil
	}
	if len(a.paths) == 0 {
		a.paths = []string{"."}
	}
	return a, -1
}

// explainAll is --explain without a code: list the codes.
const explainAll = "\x00all"

// explainFlag is --explain: alone it lists the codes, with a code (--explain CODE or
// --explain=CODE) it documents that code.
type explainFlag string

func (f *explainFlag) String() string   { return string(*f) }
func (f *explainFlag) IsBoolFlag() bool { return true }
func (f *explainFlag) Set(v string) error {
	if v == "true" {
		v = explainAll
	}
	*f = explainFlag(v)
	return nil
}

func runValidate(_ context.Context, e *env, args []string) int {
	a, code := parseValidateArgs(e, args)
	if code >= 0 {
		return code
	}
	v := view.NewValidate(e.view(a.format, false), view.ValidateOptions{
		Rules: allRules(), Version: buildVersion(), StepSummary: e.getenv("GITHUB_STEP_SUMMARY"),
	})
	if a.explain == explainAll {
		v.ListRules()
		return exitOK
	}
	if a.explain != "" {
		text, ok := explain(a.explain)
		if !ok {
			return usageErrorf(e, "unknown diagnostic code %q", a.explain)
		}
		v.Explain(text)
		return exitOK
	}
	defer gcHeadroom(specHeadroom)()
	set, ds := validateWith(spec.Options{Exclude: a.exclude}, a.paths)
	if err := v.Result(view.ValidateResult{
		Diagnostics: ds, Files: set.Files, Documents: set.Documents, Strict: a.strict,
		Skipped: set.Skipped, Hidden: set.Hidden, Excluded: set.Excluded, LinkedFolders: set.LinkedFolders,
	}); err != nil {
		return fail(e, err)
	}
	if ds.HasErrors() || a.strict && ds.Count(spec.Warning) > 0 {
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
	return set, ds.Limited()
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
