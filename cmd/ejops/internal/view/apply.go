package view

import (
	"errors"
	"fmt"
	"io"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

// Apply is the view of apply.
type Apply interface {
	// Plan shows the plan about to be applied, or, when it may be planned again, the plan
	// applied (the JSON form holds it for the document it prints at the end).
	Plan(p *runner.Plan) error
	// Ask asks on stderr whether to apply; only "yes" is accepted.
	Ask()
	// Canceled says the user declined.
	Canceled()
	// NeedsYes refuses to apply without --yes when nobody can be asked.
	NeedsYes()
	// Progress shows, on a terminal, how many of the apply's calls have completed.
	Progress(done, total int)
	// Failed reports an apply that did not commit.
	Failed(err error)
	// Done reports what the apply committed; rep is nil when the plan had nothing to write.
	Done(rep *runner.Report) error
}

// NewApply returns the apply view in v's form: text or JSON.
func NewApply(v *View) Apply {
	a := applyText{v, NewPlan(v)}
	if v.Format == JSON {
		return &applyJSON{applyText: a}
	}
	return a
}

// applyText prints the plan, then the report, on stdout.
type applyText struct {
	*View
	plan Plan
}

// Plan clears the progress line first: a plan shown once applied follows it.
func (v applyText) Plan(p *runner.Plan) error {
	v.endProgress()
	return v.plan.Plan(p)
}

func (v applyText) Ask() {
	fmt.Fprint(v.Stderr, "\nApply these changes? Only 'yes' is accepted: ")
}

func (v applyText) NeedsYes() {
	fmt.Fprintln(v.Stderr, "ejops: apply needs --yes when its input is not a terminal; nothing was changed")
}

func (v applyText) Canceled() {
	fmt.Fprintln(v.Stderr, "ejops: apply canceled; nothing was changed")
}

func (v applyText) Progress(done, total int) {
	if v.Live {
		fmt.Fprintf(v.Stderr, "\rapplying: %d of %s done", done, Count(total, "call"))
	}
}

// endProgress clears the progress line, if one was drawn.
func (v applyText) endProgress() {
	if v.Live {
		fmt.Fprint(v.Stderr, "\r\x1b[K")
	}
}

func (v applyText) Failed(err error) {
	v.endProgress()
	var unknown *jobdb.CommitUnknownError
	if errors.Is(err, runner.ErrStale) || errors.As(err, &unknown) {
		fmt.Fprintf(v.Stderr, "ejops: %s\n", Escape(err.Error()))
		return
	}
	fmt.Fprintf(v.Stderr, "ejops: apply failed, rolled back: %s\n", Escape(err.Error()))
}

func (v applyText) Done(rep *runner.Report) error {
	v.endProgress()
	if rep != nil {
		writeReportText(v.Stdout, rep)
	}
	return nil
}

// writeReportText prints a line per applied change and a summary line, after saying so when the
// apply planned again.
func writeReportText(w io.Writer, rep *runner.Report) {
	fmt.Fprintln(w)
	if rep.Replanned {
		fmt.Fprintln(w, "The job database changed after planning; planned again under the lock and applied the new plan, shown above.")
	}
	for _, a := range rep.Applied {
		line := fmt.Sprintf("applied: %s %s %s (%s", a.Action, runner.KindWord(a.Kind), safeName(a.Name), Count(a.Calls, "call"))
		if a.Version >= 0 {
			line += fmt.Sprintf(", now version %d", a.Version)
		}
		fmt.Fprintln(w, line+")")
	}
	fmt.Fprintf(w, "Apply complete: %d added, %d changed, %d destroyed (%s).\n", rep.Added, rep.Changed, rep.Destroyed, Count(rep.Calls, "call"))
}

// applyFormatVersion is the version of the JSON apply document.
const applyFormatVersion = "1"

// applyJSON prints one JSON document on stdout when the apply ends: the plan and the report.
type applyJSON struct {
	applyText
	planned *runner.Plan
}

// applyDoc is the JSON apply document. Report is null when the apply failed.
type applyDoc struct {
	FormatVersion string     `json:"formatVersion"`
	Plan          *planDoc   `json:"plan"`
	Report        *reportDoc `json:"report"`
}

type reportDoc struct {
	Applied    []appliedDoc   `json:"applied"`
	Calls      int            `json:"calls"`
	Summary    map[string]int `json:"summary"`
	Replanned  bool           `json:"replanned"`
	DurationMs int64          `json:"durationMs"`
}

type appliedDoc struct {
	Action  runner.Action `json:"action"`
	Kind    string        `json:"kind"`
	Name    string        `json:"name"`
	Calls   int           `json:"calls"`
	Version *int64        `json:"version,omitempty"` // the job's version after its step calls
}

func (v *applyJSON) Plan(p *runner.Plan) error {
	v.planned = p
	return nil
}

func (v *applyJSON) Failed(err error) {
	v.applyText.Failed(err)
	_ = v.write(nil)
}

func (v *applyJSON) Done(rep *runner.Report) error {
	v.endProgress()
	if rep == nil {
		rep = &runner.Report{}
	}
	r := &reportDoc{Applied: []appliedDoc{}, Calls: rep.Calls, Summary: summary(rep.Added, rep.Changed, rep.Destroyed),
		Replanned: rep.Replanned, DurationMs: rep.Duration.Milliseconds()}
	for _, a := range rep.Applied {
		d := appliedDoc{Action: a.Action, Kind: a.Kind, Name: a.Name, Calls: a.Calls}
		if a.Version >= 0 {
			d.Version = &a.Version
		}
		r.Applied = append(r.Applied, d)
	}
	return v.write(r)
}

func (v *applyJSON) write(r *reportDoc) error {
	doc := applyDoc{FormatVersion: applyFormatVersion, Report: r}
	if v.planned != nil {
		pd := newPlanDoc(v.planned)
		doc.Plan = &pd
	}
	return writeJSON(v.Stdout, doc)
}
