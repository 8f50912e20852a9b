package view

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ejops/ejops/runner"
)

// runProgressWidth bounds the live progress line, so it never wraps on an 80-column terminal
// (a wrapped line cannot be redrawn in place).
const runProgressWidth = 79

// RunProgress shows how an execution advances. On a terminal it keeps one line redrawn in place
// (elapsed time, current step, targets succeeded / failed / running / waiting for retry) and
// prints a permanent line for each target that fails; elsewhere it prints one plain line per
// lifecycle transition, with no control characters.
type RunProgress struct {
	w     io.Writer
	tty   bool
	shown bool // a progress line is on the screen
}

// NewRunProgress returns a progress view writing to w; tty says whether w is a terminal.
func NewRunProgress(w io.Writer, tty bool) *RunProgress {
	return &RunProgress{w: w, tty: tty}
}

// Update shows a new read of the execution and what changed since the previous one; elapsed is
// the time since following began.
func (p *RunProgress) Update(e *runner.Execution, changes []runner.Transition, elapsed time.Duration) {
	stamp := runElapsed(elapsed)
	if !p.tty {
		for _, c := range changes {
			fmt.Fprintf(p.w, "[%s] %s\n", stamp, runTransitionLine(e, c))
		}
		return
	}
	for _, c := range changes {
		if c.Target != nil && runner.IsFailure(c.To) {
			p.Clear()
			fmt.Fprintf(p.w, "[%s] %s\n", stamp, runTransitionLine(e, c))
		}
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K", runProgressLine(e, stamp))
	p.shown = true
}

// Clear removes the progress line from a terminal, so that other output starts on a clean line.
func (p *RunProgress) Clear() {
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// runElapsed shows elapsed time as m:ss.
func runElapsed(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// runTransitionLine describes one change in a line.
func runTransitionLine(e *runner.Execution, c runner.Transition) string {
	var b strings.Builder
	switch {
	case c.Target != nil:
		fmt.Fprintf(&b, "%s (%s): %s", EscapeLine(c.Target.Name()), runStepLabel(c.Step), c.To)
		if c.To == runner.LifecycleInProgress || c.To == runner.LifecycleWaitingForRetry || c.Attempts > 1 {
			fmt.Fprintf(&b, ", attempt %d", c.Attempts)
		}
		if c.Message != "" && c.To != runner.LifecycleSucceeded {
			fmt.Fprintf(&b, ": %s", EscapeLine(c.Message))
		}
	case c.Step != nil:
		fmt.Fprintf(&b, "%s: %s", runStepLabel(c.Step), c.To)
		if c.Message != "" {
			fmt.Fprintf(&b, ": %s", EscapeLine(c.Message))
		}
	default:
		fmt.Fprintf(&b, "job %s: %s", EscapeLine(e.Job), c.To)
		if c.Message != "" {
			fmt.Fprintf(&b, ": %s", EscapeLine(c.Message))
		}
	}
	return b.String()
}

// runProgressLine is the live line: elapsed, job, current step and its counts. Names are cut
// so that the counts always fit.
func runProgressLine(e *runner.Execution, stamp string) string {
	s := e.Current()
	if s == nil {
		return runCut(fmt.Sprintf("%s %s: %s", stamp, EscapeLine(e.Job), e.Lifecycle), runProgressWidth)
	}
	c := s.Count()
	counts := fmt.Sprintf("%d ok, %d failed, %d running, %d retrying", c.Succeeded, c.Failed, c.Running, c.WaitingForRetry)
	if c.Pending > 0 {
		counts += fmt.Sprintf(", %d waiting", c.Pending)
	}
	if c.Skipped > 0 {
		counts += fmt.Sprintf(", %d skipped", c.Skipped)
	}
	room := max(runProgressWidth-utf8.RuneCountInString(stamp)-utf8.RuneCountInString(counts)-4, 12)
	names := runCut(EscapeLine(e.Job)+" "+runStepLabel(s), room)
	return runCut(fmt.Sprintf("%s %s: %s", stamp, names, counts), runProgressWidth)
}

// runCut shortens s to n runes, marking the cut with an ellipsis.
func runCut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
