package view

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ejops/ejops/runner"
)

// Apply is the view of apply.
type Apply interface {
	// Plan shows the plan about to be applied.
	Plan(p *runner.Plan) error
	// Confirm asks on stdout whether to apply, and reports whether in answered "yes".
	Confirm(in io.Reader) bool
	// Canceled says the user declined.
	Canceled()
	// Failed reports an apply that did not commit.
	Failed(err error)
	// Done reports what the apply committed; rep is nil when the plan had nothing to write.
	Done(rep *runner.Report) error
}

// NewApply returns the apply view in v's form: text or JSON.
func NewApply(v *View) Apply {
	a := applyText{v, NewPlan(v)}
	if v.Format == JSON {
		return applyJSON{a}
	}
	return a
}

// applyText prints the plan, then the report, on stdout.
type applyText struct {
	*View
	plan Plan
}

func (v applyText) Plan(p *runner.Plan) error { return v.plan.Plan(p) }

func (v applyText) Confirm(in io.Reader) bool {
	fmt.Fprint(v.Stdout, "\nApply these changes? Only 'yes' is accepted: ")
	answer, _ := bufio.NewReader(in).ReadString('\n')
	return strings.TrimSpace(answer) == "yes"
}

func (v applyText) Canceled() {
	fmt.Fprintln(v.Stderr, "ejops: apply canceled; nothing was changed")
}

func (v applyText) Failed(err error) {
	if errors.Is(err, runner.ErrStale) {
		fmt.Fprintf(v.Stderr, "ejops: %v\n", err)
		return
	}
	fmt.Fprintf(v.Stderr, "ejops: apply failed, rolled back: %v\n", err)
}

func (v applyText) Done(rep *runner.Report) error {
	if rep != nil {
		writeReportText(v.Stdout, rep)
	}
	return nil
}

// writeReportText prints a line per applied change and a summary line.
func writeReportText(w io.Writer, rep *runner.Report) {
	fmt.Fprintln(w)
	for _, a := range rep.Applied {
		line := fmt.Sprintf("applied: %s %s %s (%s", a.Action, runner.KindWord(a.Kind), safeName(a.Name), Count(a.Calls, "call"))
		if a.Version >= 0 {
			line += fmt.Sprintf(", now version %d", a.Version)
		}
		fmt.Fprintln(w, line+")")
	}
	fmt.Fprintf(w, "Apply complete: %d added, %d changed, %d destroyed (%s).\n", rep.Added, rep.Changed, rep.Destroyed, Count(rep.Calls, "call"))
}

// applyJSON prints the JSON plan on stdout and the report on stderr, so stdout stays one JSON
// document.
type applyJSON struct{ applyText }

func (v applyJSON) Done(rep *runner.Report) error {
	if rep != nil {
		writeReportText(v.Stderr, rep)
	}
	return nil
}
