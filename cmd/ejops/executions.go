package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

func init() {
	commands["executions"] = command{summary: "list recent executions and how each database ended", run: runExecutions, interruptible: true}
}

// statusLifecycles are the lifecycles each --status value keeps.
var statusLifecycles = map[string][]string{
	"failed":    {runner.LifecycleFailed, runner.LifecycleTimedOut, runner.LifecycleCanceled},
	"active":    {runner.LifecycleCreated, runner.LifecycleInProgress, runner.LifecycleWaitingForRetry, runner.LifecycleWaitingForChildren},
	"succeeded": {runner.LifecycleSucceeded, runner.LifecycleSucceededWithSkipped},
}

// executionsArgs are the flags of executions.
type executionsArgs struct {
	db     dbFlags
	id     string
	filter jobdb.ExecutionFilter
	format string
}

func parseExecutionsArgs(e *env, args []string) (executionsArgs, int) {
	var a executionsArgs
	fs := newFlags(e, "executions", "[flags] [JOB]", `  ejops executions
  ejops executions --status failed --since 24h nightly-stats
  ejops executions --id 6F9619FF-8B86-D011-B42D-00C04FC964FF --format junit`)
	a.db.register(fs)
	fs.StringVar(&a.id, "id", "", "show the execution `EXECUTION_ID` in full: every step and target")
	fs.IntVar(&a.filter.Last, "last", 20, "list at most `N` executions, the most recent first")
	status := fs.String("status", "", "list only executions that `are` failed (Failed, TimedOut, Canceled), active or succeeded")
	since := fs.Duration("since", 0, "list only executions created in the last `D` (for example 24h)")
	fs.StringVar(&a.format, "format", "text", "output: text or json (with --id also junit)")
	if code := parseFlags(fs, args); code >= 0 {
		return a, code
	}
	if fs.NArg() > 1 {
		return a, usageErrorf(e, "executions: at most one JOB")
	}
	a.filter.Job = fs.Arg(0)
	lifecycles, ok := statusLifecycles[*status]
	switch {
	case *status != "" && !ok:
		return a, usageErrorf(e, "executions: unknown --status %q (failed, active or succeeded)", *status)
	case a.filter.Last < 1 || a.filter.Last > 1000:
		return a, usageErrorf(e, "executions: --last must be between 1 and 1000")
	case *since < 0:
		return a, usageErrorf(e, "executions: --since must be positive")
	case a.format != "text" && a.format != "json" && (a.format != "junit" || a.id == ""):
		return a, usageErrorf(e, "executions: unknown --format %q (text or json; junit with --id)", a.format)
	case a.id != "" && (fs.NArg() > 0 || *status != "" || *since != 0):
		return a, usageErrorf(e, "executions: --id shows one execution; it takes no JOB, --status or --since")
	}
	if a.id != "" {
		if _, err := jobdb.ParseExecutionID(a.id); err != nil {
			return a, usageErrorf(e, "executions: --id: %v", err)
		}
	}
	a.filter.Lifecycles = lifecycles
	if *since > 0 {
		a.filter.Since = time.Now().Add(-*since)
	}
	if code := a.db.check(e); code >= 0 {
		return a, code
	}
	return a, -1
}

func runExecutions(ctx context.Context, e *env, args []string) int {
	a, code := parseExecutionsArgs(e, args)
	if code >= 0 {
		return code
	}
	db, err := a.db.open(e)
	if err != nil {
		return fail(e, err)
	}
	defer db.Close()
	ctx, cancel := a.db.bound(ctx)
	defer cancel()
	if a.id != "" {
		x, err := runner.ReadExecution(ctx, db, a.id)
		if err != nil {
			return fail(e, err)
		}
		if err := printExecution(e, a.format, x); err != nil {
			return fail(e, err)
		}
		return exitOK
	}
	roots, children, err := db.RecentExecutions(ctx, a.filter)
	if err != nil {
		return fail(e, err)
	}
	list, err := runner.BuildExecutions(roots, children)
	if err != nil {
		return fail(e, err)
	}
	if a.format == "json" {
		if err := view.RunExecutionsJSON(e.stdout, list, time.Now()); err != nil {
			return fail(e, err)
		}
		return exitOK
	}
	view.RunExecutionsText(e.stdout, list, time.Now())
	if len(list) == a.filter.Last {
		fmt.Fprintf(e.stderr, "ejops: showing the %d most recent; --last N shows more\n", a.filter.Last)
	}
	return exitOK
}
