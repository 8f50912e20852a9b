package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/ejops/ejops/runner"
)

func init() {
	commands["plan"] = command{summary: "show what apply would change in the job database", run: runPlan, interruptible: true}
}

// savedPlanVersion is the version of the file plan --out writes; apply --plan reads only it.
const savedPlanVersion = "1"

// savedPlan is the file plan --out writes: the desired state (secret references only), the plan
// and the digest of the live state it was made against.
type savedPlan struct {
	FormatVersion string          `json:"format_version"`
	Scope         string          `json:"scope"`
	Prune         bool            `json:"prune"`
	Desired       *runner.Desired `json:"desired"`
	LiveHash      string          `json:"liveHash"`
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
		sp := savedPlan{FormatVersion: savedPlanVersion, Scope: f.scope, Prune: *prune, Desired: desired, LiveHash: p.LiveHash}
		b, _ := json.MarshalIndent(sp, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o600); err != nil {
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
