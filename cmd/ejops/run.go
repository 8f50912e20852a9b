package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

func init() {
	// run handles SIGINT and SIGTERM itself (see watchInterrupts), so it is not interruptible.
	commands["run"] = command{summary: "start a job; with --wait, follow it to the end", run: runRun}
}

// runArgs are the flags of run.
type runArgs struct {
	db                dbFlags
	job               string
	wait              bool
	format            string
	cancelOnInterrupt bool
}

func parseRunArgs(e *env, args []string) (runArgs, int) {
	var a runArgs
	fs := newFlags(e, "run", "[flags] JOB", `  ejops run nightly-stats
  ejops run --wait nightly-stats
  ejops run --wait --timeout 30m --format junit nightly-stats > report.xml`)
	a.db.register(fs)
	fs.BoolVar(&a.wait, "wait", false, "follow the execution until it ends; exit 0 only if it succeeded")
	fs.StringVar(&a.format, "format", "text", "output: text, json or junit (junit needs --wait)")
	fs.BoolVar(&a.cancelOnInterrupt, "cancel-on-interrupt", false, "on Ctrl-C, cancel the execution and wait until it is canceled")
	if code := parseFlags(fs, args); code >= 0 {
		return a, code
	}
	switch {
	case fs.NArg() != 1:
		return a, usageErrorf(e, "run: name one job (ejops run [flags] JOB)")
	case a.format != "text" && a.format != "json" && a.format != "junit":
		return a, usageErrorf(e, "run: unknown --format %q (text, json or junit)", a.format)
	case a.format == "junit" && !a.wait:
		return a, usageErrorf(e, "run: --format junit needs --wait (the report lists how each database ended)")
	case a.cancelOnInterrupt && !a.wait:
		return a, usageErrorf(e, "run: --cancel-on-interrupt needs --wait")
	}
	a.job = fs.Arg(0)
	if code := a.db.check(e); code >= 0 {
		return a, code
	}
	return a, -1
}

func runRun(ctx context.Context, e *env, args []string) int {
	a, code := parseRunArgs(e, args)
	if code >= 0 {
		return code
	}
	db, err := a.db.open(e)
	if err != nil {
		return fail(e, err)
	}
	defer db.Close()
	id, err := db.StartJob(ctx, a.job)
	if err != nil {
		return fail(e, err)
	}
	if !a.wait {
		fmt.Fprintf(e.stderr, "ejops: started %s; follow it with: ejops executions --id %s\n", a.job, id)
		if db.Embedded != "" {
			fmt.Fprintln(e.stderr, "ejops: the embedded job database runs executions only while an ejops command has it open; use --wait to see this one through")
		}
		if a.format == "json" {
			if err := view.RunStartedJSON(e.stdout, id, a.job); err != nil {
				return fail(e, err)
			}
			return exitOK
		}
		fmt.Fprintln(e.stdout, id)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "ejops: started %s, execution %s\n", a.job, id)
	soft, hard, second, stop := watchInterrupts(ctx)
	defer stop()
	done := make(chan int, 1)
	go func() { done <- a.follow(soft, hard, e, db, id) }()
	select {
	case code := <-done:
		return code
	case <-second:
		fmt.Fprintf(e.stderr, "\nejops: interrupted again; exiting without waiting (execution %s)\n", id)
		return exitInterrupted
	}
}

// follow follows a started execution to its end, or until soft ends (Ctrl-C: then it cancels
// the execution with --cancel-on-interrupt, until hard ends) or --timeout passes, and prints it.
func (a runArgs) follow(soft, hard context.Context, e *env, db *jobdb.DB, id string) int {
	fctx, cancel := soft, context.CancelFunc(func() {})
	if a.db.total > 0 {
		// --timeout: stop following (the execution goes on).
		fctx, cancel = context.WithTimeout(soft, a.db.total)
	}
	defer cancel()
	x, err := followExecution(fctx, e, db, id)
	code := exitOK
	switch {
	case err == nil:
		if !x.Succeeded() {
			code = exitFailure
		}
	case soft.Err() != nil && a.cancelOnInterrupt:
		fmt.Fprintf(e.stderr, "ejops: interrupted; canceling execution %s (Ctrl-C again to exit without waiting)\n", id)
		if x, err = cancelExecution(hard, e, db, id); err != nil {
			return failFollow(e, err, id)
		}
		code = exitInterrupted
	case soft.Err() != nil:
		fmt.Fprintf(e.stderr, "ejops: interrupted; stopped following execution %s, which goes on.\nCancel it with: ejops stop %s%s\n",
			id, id, a.db.sameDBHint())
		code = exitInterrupted
	case errors.Is(err, context.DeadlineExceeded) && fctx.Err() != nil:
		fmt.Fprintf(e.stderr, "ejops: gave up waiting after %s (--timeout); execution %s goes on.\nCancel it with: ejops stop %s%s\n",
			a.db.total, id, id, a.db.sameDBHint())
		code = exitFailure
	default:
		return failFollow(e, err, id)
	}
	if x == nil {
		return code
	}
	if err := printExecution(e, a.format, x); err != nil {
		return fail(e, err)
	}
	return code
}

// sameDBHint reminds that the command to cancel needs the --job-db or --job-db-file given to this
// one, which is not repeated: it may hold a password.
func (f *dbFlags) sameDBHint() string {
	if f.dsn.set || f.dsnFile.set {
		return " (with the same --job-db or --job-db-file)"
	}
	return ""
}

func failFollow(e *env, err error, id string) int {
	fmt.Fprintf(e.stderr, "ejops: %s\nThe execution may go on; see it with: ejops executions --id %s\n", view.Escape(withHint(err).Error()), id)
	return exitFailure
}

// followExecution follows an execution until it is no longer active, showing its progress on
// stderr: a line redrawn in place on a terminal, one line per transition otherwise.
func followExecution(ctx context.Context, e *env, db *jobdb.DB, id string) (*runner.Execution, error) {
	progress := view.NewRunProgress(e.stderr, isTerminal(e.stderr))
	start := time.Now()
	x, err := runner.Follow(ctx, db, id, runner.DefaultWaitOptions(),
		func(x *runner.Execution, changes []runner.Transition) {
			progress.Update(x, changes, time.Since(start))
		})
	progress.Clear()
	return x, err
}

// cancelExecution asks the agent to cancel an execution and follows it until it ends.
func cancelExecution(ctx context.Context, e *env, db *jobdb.DB, id string) (*runner.Execution, error) {
	if err := db.StopJob(ctx, id); err != nil {
		return nil, err
	}
	return followExecution(ctx, e, db, id)
}

// printExecution prints an execution tree to stdout in the format asked for; after a JSON or
// JUnit document, a one-line verdict goes to stderr for the log.
func printExecution(e *env, format string, x *runner.Execution) error {
	now := time.Now()
	switch format {
	case "json":
		if err := view.RunJSON(e.stdout, x, now); err != nil {
			return err
		}
	case "junit":
		if err := view.RunJUnit(e.stdout, x, now); err != nil {
			return err
		}
	default:
		view.RunText(e.stdout, x, now)
		return nil
	}
	fmt.Fprintf(e.stderr, "ejops: execution %s: %s\n", x.ID, x.Lifecycle)
	return nil
}

// watchInterrupts turns SIGINT and SIGTERM into stages: the first cancels soft, the second
// cancels hard and closes second. stop restores the default handling.
func watchInterrupts(ctx context.Context) (soft, hard context.Context, second <-chan struct{}, stop func()) {
	soft, cancelSoft := context.WithCancel(ctx)
	hard, cancelHard := context.WithCancel(ctx)
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	twice := make(chan struct{})
	quit := make(chan struct{})
	go func() {
		for n := 0; ; {
			select {
			case <-quit:
				return
			case <-sig:
				n++
				if n == 1 {
					cancelSoft()
					continue
				}
				cancelHard()
				close(twice)
				return
			}
		}
	}()
	return soft, hard, twice, func() {
		signal.Stop(sig)
		close(quit)
		cancelSoft()
		cancelHard()
	}
}
