package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

func init() {
	commands["apply"] = command{summary: "sync the job database with the specs, in one transaction", run: runApply, interruptible: true}
}

func runApply(ctx context.Context, e *env, args []string) int {
	var f dbFlags
	fs := newFlags(e, "apply", "[flags] [PATH...]", `  ejops apply examples/quickstart
  ejops apply --yes --prune --job-db "$EJOPS_JOB_DB" jobs/
  ejops apply --plan plan.json`)
	f.register(fs)
	planFile := fs.String("plan", "", "apply the plan saved by plan --out `FILE` (refused when the job database moved since)")
	prune := fs.Bool("prune", false, "delete owned objects that left the specs")
	yes := fs.Bool("yes", false, "do not ask for confirmation on a terminal")
	maxDeletes := fs.Int("max-deletes", 10, "refuse to apply a plan that deletes more than `N` objects")
	lockWait := fs.Duration("lock-wait", time.Minute, "how long to wait for another apply to finish")
	var o outputFlags
	o.register(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if code := f.check(e); code >= 0 {
		return code
	}
	if code := o.check(e, "apply"); code >= 0 {
		return code
	}
	if *maxDeletes < 0 {
		return usageErrorf(e, "apply: --max-deletes must be 0 or more")
	}
	if *lockWait < 0 || *lockWait > 24*time.Hour {
		return usageErrorf(e, "apply: --lock-wait must be between 0s and 24h")
	}
	if *planFile != "" && fs.NArg() > 0 {
		return usageErrorf(e, "apply: --plan takes no PATH arguments: the saved plan holds the specs")
	}
	db, wait, stop, err := f.openReading(ctx, e)
	if err != nil {
		return fail(e, err)
	}
	defer db.Close()
	defer stop()
	var desired *runner.Desired
	savedHash := ""
	if *planFile != "" {
		pf, err := runner.LoadPlanFile(*planFile)
		if err != nil {
			return fail(e, err)
		}
		desired, f.scope, *prune, savedHash = pf.Desired, pf.Scope, pf.Prune, pf.LiveHash
	} else {
		set := loadSpecs(e, fs.Args(), *prune)
		if set == nil {
			return exitFailure
		}
		desired = runner.FromSpec(set)
	}
	live, err := wait()
	if err != nil {
		return fail(e, err)
	}
	if savedHash != "" && savedHash != live.Hash() {
		fmt.Fprintf(e.stderr, "ejops: %v\n", runner.ErrStale)
		return exitFailure
	}
	secrets := runner.ResolveSecret(e.getenv, e.readFile)
	diffOpts := runner.Options{Scope: f.scope, Prune: *prune, Secret: secrets, Now: time.Now().UTC()}
	p, err := runner.Diff(desired, live, diffOpts)
	if err != nil {
		return fail(e, err)
	}
	if err := checkDeletes(p, *maxDeletes); err != nil {
		return fail(e, err)
	}
	if err := o.render(e, p); err != nil {
		return fail(e, err)
	}
	if !p.Writes() {
		return exitOK
	}
	opts := runner.ApplyOptions{Secret: secrets, AppliedBy: appliedBy(fs.Args()), LockWait: *lockWait}
	confirm := !p.Empty() && !*yes && isTerminal(e.stdin) && isTerminal(e.stdout)
	if savedHash == "" && !confirm {
		// Nobody reviewed this exact plan: if the job database moves before the lock is taken,
		// apply what the specs ask for against what is there then.
		opts.Replan = func(live *jobdb.State) (*runner.Plan, error) {
			p, err := runner.Diff(desired, live, diffOpts)
			if err == nil {
				err = checkDeletes(p, *maxDeletes)
			}
			return p, err
		}
	}
	if confirm {
		fmt.Fprint(e.stdout, "\nApply these changes? Only 'yes' is accepted: ")
		answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
		if strings.TrimSpace(answer) != "yes" {
			fmt.Fprintln(e.stderr, "ejops: apply canceled; nothing was changed")
			return exitFailure
		}
	}
	// Waiting for another apply's lock does not eat into the database timeout.
	actx, acancel := context.WithTimeout(ctx, f.timeout+*lockWait)
	defer acancel()
	rep, err := runner.Apply(actx, db, p, opts)
	if err != nil {
		if errors.Is(err, runner.ErrStale) {
			fmt.Fprintf(e.stderr, "ejops: %v\n", err)
		} else {
			fmt.Fprintf(e.stderr, "ejops: apply failed, rolled back: %v\n", err)
		}
		return exitFailure
	}
	// The report follows the plan on stdout; after a JSON plan it goes to stderr, so stdout stays
	// one JSON document.
	out := e.stdout
	if o.format == "json" {
		out = e.stderr
	}
	fmt.Fprintln(out)
	for _, a := range rep.Applied {
		line := fmt.Sprintf("applied: %s %s %s (%s", a.Action, runner.KindWord(a.Kind), runner.SafeName(a.Name), count(a.Calls, "call"))
		if a.Version >= 0 {
			line += fmt.Sprintf(", now version %d", a.Version)
		}
		fmt.Fprintln(out, line+")")
	}
	fmt.Fprintf(out, "Apply complete: %d added, %d changed, %d destroyed (%s).\n", rep.Added, rep.Changed, rep.Destroyed, count(rep.Calls, "call"))
	return exitOK
}

// checkDeletes is the --max-deletes guard.
func checkDeletes(p *runner.Plan, limit int) error {
	if _, _, destroy := p.Counts(); destroy > limit {
		return fmt.Errorf("the plan deletes %s, more than --max-deletes %d; nothing was applied", count(destroy, "object"), limit)
	}
	return nil
}

// appliedBy names what is applied: the git commit of the first path, if it is in a work tree.
func appliedBy(paths []string) string {
	dir := "."
	if len(paths) > 0 {
		dir = paths[0]
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			dir = filepath.Dir(dir)
		}
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return "ejops " + buildVersion()
	}
	return "git " + strings.TrimSpace(string(out))
}
