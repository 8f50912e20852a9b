package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// PlanFormatVersion is the version of the JSON plan document.
const PlanFormatVersion = "1"

// KindWord names a kind the way plans print it: "credential", "target group", "job".
func KindWord(kind string) string {
	switch kind {
	case KindCredential:
		return "credential"
	case KindTargetGroup:
		return "target group"
	}
	return "job"
}

var symbols = map[Action]string{Create: "+", Update: "~", Delete: "-"}

// Colors for a terminal; empty strings when colour is off.
type Colors struct{ Add, Change, Delete, Reset string }

// ANSI colours.
var ANSI = Colors{Add: "\x1b[32m", Change: "\x1b[33m", Delete: "\x1b[31m", Reset: "\x1b[0m"}

func (c Colors) of(a Action) string {
	switch a {
	case Create:
		return c.Add
	case Update:
		return c.Change
	case Delete:
		return c.Delete
	}
	return ""
}

// RenderText prints the plan the way Terraform does: one block per object, then a summary line.
func RenderText(w io.Writer, p *Plan, col Colors) {
	if !p.Empty() {
		fmt.Fprintf(w, "ejops will perform these actions (scope %q):\n\n", p.Scope)
	}
	for _, c := range p.Changes {
		fmt.Fprintf(w, "  %s%s %s %s%s\n", col.of(c.Action), symbols[c.Action], KindWord(c.Kind), SafeName(c.Name), col.Reset)
		renderFields(w, "      ", c.Fields, c.Action == Create)
		for _, s := range c.Subs {
			label := "step"
			if c.Kind == KindTargetGroup {
				label = "member"
			}
			line := fmt.Sprintf("%s %s", label, SafeName(s.Name))
			if s.NewName != "" {
				line += " -> " + SafeName(s.NewName)
			}
			switch {
			case s.Position > 0 && s.Action == Update:
				line += fmt.Sprintf(" (moved to position %d)", s.Position)
			case s.Position > 0:
				line += fmt.Sprintf(" (position %d)", s.Position)
			}
			fmt.Fprintf(w, "      %s%s %s%s\n", col.of(s.Action), symbols[s.Action], line, col.Reset)
			renderFields(w, "          ", s.Fields, s.Action == Create)
		}
		fmt.Fprintln(w)
	}
	refs := func(title string, rs []Ref) {
		if len(rs) == 0 {
			return
		}
		fmt.Fprintf(w, "%s\n", title)
		for _, r := range rs {
			if r.Scope != "" && r.Scope != p.Scope {
				fmt.Fprintf(w, "  %s %s (scope %q)\n", KindWord(r.Kind), SafeName(r.Name), r.Scope)
			} else {
				fmt.Fprintf(w, "  %s %s\n", KindWord(r.Kind), SafeName(r.Name))
			}
		}
		fmt.Fprintln(w)
	}
	refs("Objects in the job database that this scope does not manage (left alone):", p.Unmanaged)
	refs("Objects this scope applied that left the specs (kept; apply with --prune to delete):", p.Kept)
	refs(fmt.Sprintf("Existing objects that apply will record as owned by scope %q:", p.Scope), p.Adopt)
	if p.Empty() {
		fmt.Fprintln(w, "No changes. The job database matches the specs.")
		return
	}
	add, change, destroy := p.Counts()
	fmt.Fprintf(w, "Plan: %d to add, %d to change, %d to destroy.\n", add, change, destroy)
}

func renderFields(w io.Writer, indent string, fs []Field, create bool) {
	for _, f := range fs {
		switch {
		case f.Name == "command":
			fmt.Fprintf(w, "%scommand:\n", indent)
			if create {
				for _, l := range strings.Split(strings.TrimRight(f.New, "\n"), "\n") {
					fmt.Fprintf(w, "%s    %s\n", indent, l)
				}
			} else {
				for _, l := range UnifiedDiff(f.Old, f.New) {
					fmt.Fprintf(w, "%s    %s\n", indent, l)
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

func show(f Field, v string) string {
	switch {
	case f.Sensitive:
		return "(sensitive)"
	case textFields[f.Name] || v == "":
		return fmt.Sprintf("%q", v)
	}
	return v
}

// RenderJSON prints the versioned JSON plan document.
func RenderJSON(w io.Writer, p *Plan) error {
	add, change, destroy := p.Counts()
	doc := struct {
		FormatVersion string `json:"format_version"`
		*Plan
		Summary map[string]int `json:"summary"`
	}{PlanFormatVersion, p, map[string]int{"add": add, "change": change, "destroy": destroy}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// SafeName shows a name as it is, or quoted when it holds characters that are not printable (a
// line break or a terminal escape must not forge plan lines).
func SafeName(s string) string {
	for _, r := range s {
		if !unicode.IsGraphic(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
