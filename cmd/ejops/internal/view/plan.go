package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/ejops/ejops/runner"
)

// planFormatVersion is the version of the JSON plan document.
const planFormatVersion = "2" // 2: camelCase keys (formatVersion)

// Plan is the view of plan.
type Plan interface {
	// Plan shows the plan.
	Plan(p *runner.Plan) error
}

// NewPlan returns the plan view in v's form: text, JSON or Markdown.
func NewPlan(v *View) Plan {
	if v.Format == JSON {
		return planJSON{v}
	}
	if v.Format == Markdown {
		return &PlanMarkdown{View: v}
	}
	return planText{v}
}

type planText struct{ *View }

func (v planText) Plan(p *runner.Plan) error {
	warnUnverified(v.Stderr, p)
	warnReapply(v.Stderr, p)
	warnReach(v.Stderr, p)
	writePlanText(v.Stdout, p, v.Colors)
	return nil
}

type planJSON struct{ *View }

func (v planJSON) Plan(p *runner.Plan) error {
	warnUnverified(v.Stderr, p)
	warnReapply(v.Stderr, p)
	warnReach(v.Stderr, p)
	return writePlanJSON(v.Stdout, p)
}

// warnUnverified warns, one line each, of the credentials the plan could not check.
func warnUnverified(w io.Writer, p *runner.Plan) {
	for _, u := range p.Unverified {
		pos := ""
		if u.Pos != "" {
			pos = u.Pos + ": "
		}
		fmt.Fprintf(w, "ejops: warning: %scredential %q: %s\n", EscapeLine(pos), u.Name, EscapeLine(u.Reason))
	}
}

// Colors for a terminal; empty strings when colour is off.
type Colors struct{ Add, Change, Delete, Reset string }

// ANSI colours.
var ANSI = Colors{Add: "\x1b[32m", Change: "\x1b[33m", Delete: "\x1b[31m", Reset: "\x1b[0m"}

func (c Colors) of(a runner.Action) string {
	switch a {
	case runner.Create:
		return c.Add
	case runner.Update:
		return c.Change
	case runner.Delete:
		return c.Delete
	}
	return ""
}

var symbols = map[runner.Action]string{runner.Create: "+", runner.Update: "~", runner.Delete: "-"}

// writePlanText prints the plan the way Terraform does: one block per object, then a summary line.
func writePlanText(w io.Writer, p *runner.Plan, col Colors) {
	if !p.Empty() {
		fmt.Fprintf(w, "ejops will perform these actions (scope %q):\n\n", p.Scope)
	}
	for _, c := range p.Changes {
		fmt.Fprintf(w, "  %s%s %s %s%s\n", col.of(c.Action), symbols[c.Action], runner.KindWord(c.Kind), safeName(c.Name), col.Reset)
		if c.Reach != nil {
			fmt.Fprintf(w, "      reaches %s%s\n", DescribeReach(c.Reach), partly(c.Reach))
		}
		writeFields(w, "      ", c.Fields, c.Action == runner.Create)
		for _, s := range c.Subs {
			line := fmt.Sprintf("%s %s", subWord(c.Kind), safeName(s.Name))
			if s.NewName != "" {
				line += " -> " + safeName(s.NewName)
			}
			line += positionNote(s)
			fmt.Fprintf(w, "      %s%s %s%s\n", col.of(s.Action), symbols[s.Action], line, col.Reset)
			writeFields(w, "          ", s.Fields, s.Action == runner.Create)
		}
		fmt.Fprintln(w)
	}
	refs := func(title string, rs []runner.Ref) {
		if len(rs) == 0 {
			return
		}
		fmt.Fprintf(w, "%s\n", title)
		for _, r := range rs {
			if r.Scope != "" && r.Scope != p.Scope {
				fmt.Fprintf(w, "  %s %s (scope %q)\n", runner.KindWord(r.Kind), safeName(r.Name), r.Scope)
			} else {
				fmt.Fprintf(w, "  %s %s\n", runner.KindWord(r.Kind), safeName(r.Name))
			}
		}
		fmt.Fprintln(w)
	}
	refs("Objects in the job database that this scope does not manage (left alone):", p.Unmanaged)
	refs("Objects this scope applied that left the specs (kept; apply with --prune to delete):", p.Kept)
	refs(fmt.Sprintf("Existing objects that apply will record as owned by scope %q:", p.Scope), p.Adopt)
	if len(p.Unverified) > 0 {
		fmt.Fprintln(w, "Credentials this plan could not check (apply checks them, and needs every secret):")
		for _, u := range p.Unverified {
			fmt.Fprintf(w, "  credential %s: %s\n", safeName(u.Name), EscapeLine(u.Reason))
		}
		fmt.Fprintln(w)
	}
	writeSchedules(w, p)
	switch {
	case p.Empty() && len(p.Unverified) > 0:
		fmt.Fprintln(w, "No changes. The job database matches the specs, apart from the credentials that could not be checked.")
		return
	case p.Empty():
		fmt.Fprintln(w, "No changes. The job database matches the specs.")
		return
	}
	add, change, destroy := p.Counts()
	fmt.Fprintf(w, "Plan: %d to add, %d to change, %d to destroy.\n", add, change, destroy)
}

func writeFields(w io.Writer, indent string, fs []runner.Field, create bool) {
	for _, f := range fs {
		switch {
		case f.Name == "command":
			fmt.Fprintf(w, "%scommand:\n", indent)
			if create {
				for _, l := range strings.Split(strings.TrimRight(f.New, "\n"), "\n") {
					fmt.Fprintf(w, "%s    %s\n", indent, Escape(l))
				}
			} else {
				for _, l := range runner.UnifiedDiff(f.Old, f.New) {
					fmt.Fprintf(w, "%s    %s\n", indent, Escape(l))
				}
			}
		case create:
			fmt.Fprintf(w, "%s%s: %s\n", indent, f.Name, show(f, f.New))
		default:
			fmt.Fprintf(w, "%s%s: %s -> %s\n", indent, f.Name, show(f, f.Old), show(f, f.New))
		}
	}
}

// textFields hold free text or names, shown quoted; other fields show numbers, flags and
// durations as they are.
var textFields = map[string]bool{"description": true, "identity": true, "targetGroup": true, "credential": true}

func show(f runner.Field, v string) string {
	switch {
	case f.Sensitive:
		return "(sensitive)"
	case textFields[f.Name] || v == "":
		return fmt.Sprintf("%q", v)
	}
	return v
}

// planDoc is the versioned JSON plan document.
type planDoc struct {
	FormatVersion string `json:"formatVersion"`
	*runner.Plan
	Summary map[string]int `json:"summary"`
}

func newPlanDoc(p *runner.Plan) planDoc {
	return planDoc{planFormatVersion, p, summary(p.Counts())}
}

// summary counts objects added, changed and destroyed, as the plan and apply documents show them.
func summary(add, change, destroy int) map[string]int {
	return map[string]int{"add": add, "change": change, "destroy": destroy}
}

// writePlanJSON prints the JSON plan document.
func writePlanJSON(w io.Writer, p *runner.Plan) error { return writeJSON(w, newPlanDoc(p)) }

// writeJSON prints doc as indented JSON.
func writeJSON(w io.Writer, doc any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// safeName shows a name as it is, or quoted when it holds characters that are not printable (a
// line break or a terminal escape must not forge plan lines).
func safeName(s string) string {
	for _, r := range s {
		if !unicode.IsGraphic(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
