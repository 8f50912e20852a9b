package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ejops/ejops/runner"
)

func init() {
	commands["plan"] = command{summary: "show what apply would change in the job database", run: runPlan, interruptible: true}
}

func runPlan(ctx context.Context, e *env, args []string) int {
	var f dbFlags
	fs := newFlags(e, "plan", "[flags] [PATH...]", `  ejops plan examples/quickstart
  ejops plan --detailed-exitcode --job-db "$EJOPS_JOB_DB" jobs/
  ejops plan --out plan.json jobs/ && ejops apply --plan plan.json`)
	f.register(fs)
	var o outputFlags
	o.register(fs)
	detailed := fs.Bool("detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error")
	out := fs.String("out", "", "save the plan to `FILE` for apply --plan")
	prune := fs.Bool("prune", false, "plan deletion of owned objects that left the specs")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if code := f.check(e); code >= 0 {
		return code
	}
	if code := o.check(e, "plan"); code >= 0 {
		return code
	}
	db, wait, stop, err := f.openReading(ctx, e)
	if err != nil {
		return fail(e, err)
	}
	defer db.Close()
	defer stop()
	set := loadSpecs(e, fs.Args(), *prune)
	if set == nil {
		return exitFailure
	}
	live, err := wait()
	if err != nil {
		return fail(e, err)
	}
	desired := runner.FromSpec(set)
	p, err := runner.Diff(desired, live, runner.Options{
		Scope: f.scope, Prune: *prune, Secret: runner.ResolveSecret(e.getenv, e.readFile), Now: time.Now().UTC(),
	})
	if err != nil {
		return fail(e, err)
	}
	if *out != "" {
		pf := &runner.PlanFile{Scope: f.scope, Prune: *prune, Desired: desired, LiveHash: p.LiveHash}
		if err := runner.SavePlanFile(*out, pf); err != nil {
			fmt.Fprintf(e.stderr, "ejops: save plan: %v\n", err)
			return exitFailure
		}
	}
	if err := o.render(e, p); err != nil {
		return fail(e, err)
	}
	if *detailed && !p.Empty() {
		return exitChanges
	}
	return exitOK
}
