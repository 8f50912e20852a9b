package view

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ejops/ejops/runner"
)

// runDuration shows a duration rounded to a tenth of a second ("3.2s", "1m4.5s").
func runDuration(d time.Duration) string {
	return d.Round(100 * time.Millisecond).String()
}

func runPlural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func runStepLabel(s *runner.StepExecution) string {
	if s.Name == "" {
		return fmt.Sprintf("step %d", s.ID)
	}
	return fmt.Sprintf("step %d %s", s.ID, EscapeLine(s.Name))
}

// runShowsMessage reports whether the summary shows a target's last message: for outcomes other
// than success (why it failed, timed out or was skipped), and for enumerations.
func runShowsMessage(t *runner.TargetExecution) bool {
	return t.LastMessage != "" && (t.Lifecycle != runner.LifecycleSucceeded || !t.IsDatabase())
}

// RunText prints the summary of an execution: a line for the job, a block per step with one line
// per target (lifecycle, attempts, duration and, unless it succeeded, its last message), then the
// verdict: what failed or was skipped. now measures rows still running.
func RunText(w io.Writer, e *runner.Execution, now time.Time) {
	fmt.Fprintf(w, "Job %s, execution %s: %s", EscapeLine(e.Job), e.ID, e.Lifecycle)
	if d := runner.Duration(e.Started, e.Ended, now); d > 0 {
		fmt.Fprintf(w, " after %s", runDuration(d))
	}
	fmt.Fprintln(w)
	for _, s := range e.Steps {
		fmt.Fprintf(w, "\n%s", runStepLabel(s))
		if s.TargetGroup != "" {
			fmt.Fprintf(w, " (target group %s)", EscapeLine(s.TargetGroup))
		}
		fmt.Fprintf(w, ": %s", s.Lifecycle)
		if s.LastMessage != "" {
			fmt.Fprintf(w, ": %s", EscapeLine(s.LastMessage))
		}
		fmt.Fprintln(w)
		var rows []string
		for _, t := range s.Targets {
			msg := ""
			if runShowsMessage(t) {
				msg = EscapeLine(t.LastMessage)
			}
			rows = append(rows, fmt.Sprintf("  %s\t%s\t%s\t%s\t%s", t.Lifecycle, EscapeLine(t.Name()),
				runPlural(t.Attempts, "attempt"), runDuration(runner.Duration(t.Started, t.Ended, now)), msg))
		}
		runTable(w, rows)
	}
	fmt.Fprintln(w)
	runVerdict(w, e)
}

// runTable prints tab-separated rows as aligned columns, without trailing blanks.
func runTable(w io.Writer, rows []string) {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	tw.Flush()
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if line != "" {
			fmt.Fprintln(w, strings.TrimRight(line, " \n"))
		}
	}
}

// runVerdict says how the execution ended and names the databases behind it.
func runVerdict(w io.Writer, e *runner.Execution) {
	list := func(ts []runner.StepTarget, withMessage bool) {
		for _, x := range ts {
			line := fmt.Sprintf("  %s (%s): %s", EscapeLine(x.Target.Name()), runStepLabel(x.Step), x.Target.Lifecycle)
			if withMessage && x.Target.LastMessage != "" {
				line += ": " + EscapeLine(x.Target.LastMessage)
			}
			fmt.Fprintln(w, line)
		}
	}
	databases := 0
	for _, s := range e.Steps {
		for _, t := range s.Targets {
			if t.IsDatabase() {
				databases++
			}
		}
	}
	switch {
	case e.Active:
		fmt.Fprintf(w, "Still %s: the execution has not ended.\n", e.Lifecycle)
	case e.Lifecycle == runner.LifecycleSucceeded:
		fmt.Fprintf(w, "Succeeded: %s over %s.\n", runPlural(databases, "database run"), runPlural(len(e.Steps), "step"))
	case e.Lifecycle == runner.LifecycleSucceededWithSkipped:
		skipped := e.Targets(func(l string) bool { return l == runner.LifecycleSkipped })
		fmt.Fprintf(w, "Succeeded with %s skipped:\n", runPlural(len(skipped), "database"))
		list(skipped, true)
	default:
		failed := e.Targets(runner.IsFailure)
		if len(failed) == 0 {
			fmt.Fprintf(w, "%s: %s\n", e.Lifecycle, EscapeLine(e.LastMessage))
			return
		}
		fmt.Fprintf(w, "%s on %s:\n", e.Lifecycle, runPlural(len(failed), "target"))
		list(failed, false)
	}
}

// RunExecutionsText lists executions, the most recent first, one line each with the counts of
// their database targets by lifecycle.
func RunExecutionsText(w io.Writer, list []*runner.Execution, now time.Time) {
	if len(list) == 0 {
		fmt.Fprintln(w, "No executions.")
		return
	}
	rows := []string{"EXECUTION\tJOB\tCREATED (UTC)\tDURATION\tLIFECYCLE\tDATABASES"}
	for _, e := range list {
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", e.ID, EscapeLine(e.Job), e.Created.UTC().Format("2006-01-02 15:04:05"),
			runDuration(runner.Duration(e.Started, e.Ended, now)), e.Lifecycle, runCounts(e.LifecycleCounts())))
	}
	runTable(w, rows)
}

// runCounts shows counts by lifecycle in a fixed order: "3 Succeeded, 1 Failed".
func runCounts(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		return runLifecycleRank(keys[a]) < runLifecycleRank(keys[b]) || (runLifecycleRank(keys[a]) == runLifecycleRank(keys[b]) && keys[a] < keys[b])
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], EscapeLine(k))
	}
	return strings.Join(parts, ", ")
}

var runLifecycleOrder = []string{runner.LifecycleSucceeded, runner.LifecycleSucceededWithSkipped, runner.LifecycleSkipped,
	runner.LifecycleFailed, runner.LifecycleTimedOut, runner.LifecycleCanceled, runner.LifecycleInProgress,
	runner.LifecycleWaitingForRetry, runner.LifecycleWaitingForChildren, runner.LifecycleCreated}

func runLifecycleRank(l string) int {
	for i, x := range runLifecycleOrder {
		if x == l {
			return i
		}
	}
	return len(runLifecycleOrder)
}
