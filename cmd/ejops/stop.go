package main

import (
	"context"
	"fmt"

	"github.com/ejops/ejops/runner/jobdb"
)

func init() {
	commands["stop"] = command{summary: "cancel an execution", run: runStop, interruptible: true}
}

func runStop(ctx context.Context, e *env, args []string) int {
	var f dbFlags
	fs := newFlags(e, "stop", "[flags] EXECUTION_ID", `  ejops stop 6F9619FF-8B86-D011-B42D-00C04FC964FF
  ejops stop --wait 6F9619FF-8B86-D011-B42D-00C04FC964FF`)
	f.register(fs)
	wait := fs.Bool("wait", false, "wait until the execution is no longer active, then show how it ended")
	format := fs.String("format", "text", "output of --wait: text or json")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		return usageErrorf(e, "stop: name one execution id (ejops stop [flags] EXECUTION_ID)")
	}
	if *format != "text" && *format != "json" {
		return usageErrorf(e, "stop: unknown --format %q (text or json)", *format)
	}
	id := fs.Arg(0)
	if _, err := jobdb.ParseExecutionID(id); err != nil {
		return usageErrorf(e, "stop: %v", err)
	}
	if code := f.check(e); code >= 0 {
		return code
	}
	db, err := f.open(e)
	if err != nil {
		return fail(e, err)
	}
	defer db.Close()
	if !*wait {
		if err := db.StopJob(ctx, id); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stderr, "ejops: asked the agent to cancel execution %s; it stops shortly (--wait waits for it)\n", id)
		return exitOK
	}
	x, err := cancelExecution(ctx, e, db, id)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(e.stderr, "ejops: interrupted; stopped waiting for execution %s\n", id)
			return exitInterrupted
		}
		return fail(e, err)
	}
	if err := printExecution(e, *format, x); err != nil {
		return fail(e, err)
	}
	return exitOK
}
