package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

func init() {
	commands["apply"] = command{summary: "sync the job database with the specs, in one transaction", run: runApply, interruptible: true}
}

// applyArgs are the parsed flags of apply.
type applyArgs struct {
	db         dbFlags
	view       *view.View
	planFile   string
	prune      bool
	yes        bool
	maxDeletes int
	lockWait   time.Duration
	paths      []string
	watch      watchFlags // apply --watch
	planOnly   bool       // plan and show, write nothing (a watch pass that may not write)
	runChanged bool       // start the jobs the apply changed and follow them
}

// parseApplyArgs parses apply's flags; a code >= 0 means stop with that exit code.
func parseApplyArgs(e *env, args []string) (applyArgs, int) {
	var a applyArgs
	fs := newFlags(e, "apply", "[flags] [PATH...]", `  ejops apply examples/quickstart
  EJOPS_JOB_DB_FILE=/run/secrets/job-db ejops apply --yes --prune jobs/
  ejops apply --plan plan.json
  ejops apply --watch --listen :9090 --job-db "$EJOPS_JOB_DB" /git/current/jobs`)
	a.db.register(fs)
	fs.StringVar(&a.planFile, "plan", "", "apply the plan saved by plan --out `FILE` (refused when the job database moved since)")
	fs.BoolVar(&a.prune, "prune", false, "delete owned objects that left the specs")
	fs.BoolVar(&a.yes, "yes", false, "apply without asking (needed when the input is not a terminal)")
	fs.IntVar(&a.maxDeletes, "max-deletes", 10, "refuse to apply a plan that deletes more than `N` objects")
	fs.DurationVar(&a.lockWait, "lock-wait", time.Minute, "how long to wait for another apply to finish")
	fs.BoolVar(&a.runChanged, "run-changed", false, "after applying, start the jobs the apply created or changed and follow them as run --wait does;\nthe exit code covers both")
	var o outputFlags
	o.register(fs)
	a.watch.register(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return a, code
	}
	if code := a.db.check(e); code >= 0 {
		return a, code
	}
	if code := a.watch.check(e, fs, &a); code >= 0 {
		return a, code
	}
	var code int
	if a.view, code = o.view(e, "apply"); code >= 0 {
		return a, code
	}
	a.paths = fs.Args()
	switch {
	case a.maxDeletes < 0:
		return a, usageErrorf(e, "apply: --max-deletes must be 0 or more")
	case a.lockWait < 0 || a.lockWait > 24*time.Hour:
		return a, usageErrorf(e, "apply: --lock-wait must be between 0s and 24h")
	case a.planFile != "" && len(a.paths) > 0:
		return a, usageErrorf(e, "apply: --plan takes no PATH arguments: the saved plan holds the specs")
	case a.runChanged && (a.watch.on || a.view.Format != view.Text):
		return a, usageErrorf(e, "apply: --run-changed goes with the text format and without --watch")
	case a.view.Format == view.JSON && !a.yes && a.planFile == "" && isTerminal(e.stdin):
		return a, usageErrorf(e, "apply: --format json cannot ask for confirmation on a terminal; pass --yes")
	}
	return a, -1
}

func runApply(ctx context.Context, e *env, args []string) int {
	a, code := parseApplyArgs(e, args)
	if code >= 0 {
		return code
	}
	ctx, cancel := a.db.bound(ctx)
	defer cancel()
	if a.watch.on {
		return runWatch(ctx, e, a)
	}
	db, err := a.db.open(e)
	if err != nil {
		return fail(e, err)
	}
	defer db.Close()
	rep, err := applyReport(ctx, e, &a, db, view.NewApply(a.view))
	switch {
	case errors.Is(err, errReported):
		return exitFailure
	case err != nil:
		return fail(e, err)
	case a.runChanged:
		return runChangedJobs(ctx, e, &a, db, rep)
	}
	return exitOK
}

// runChangedJobs starts the jobs an apply created or changed, then follows each to its end as run
// --wait does; it fails when any of them did not succeed.
func runChangedJobs(ctx context.Context, e *env, a *applyArgs, db *jobdb.DB, rep *runner.Report) int {
	var jobs []string
	if rep != nil {
		for _, c := range rep.Applied {
			if c.Kind == runner.KindJob && c.Action != runner.Delete {
				jobs = append(jobs, c.Name)
			}
		}
	}
	if len(jobs) == 0 {
		fmt.Fprintln(e.stderr, "ejops: --run-changed: the apply changed no job; nothing to run")
		return exitOK
	}
	ids := make([]string, len(jobs))
	for i, job := range jobs {
		id, err := db.StartJob(ctx, job)
		if err != nil {
			return fail(e, fmt.Errorf("start %s: %w", job, err))
		}
		ids[i] = id
		fmt.Fprintf(e.stderr, "ejops: started %s, execution %s\n", view.EscapeLine(job), id)
	}
	code := exitOK
	for _, id := range ids {
		x, err := followExecution(ctx, e, db, id)
		if err != nil {
			return failFollow(e, err, id)
		}
		if err := printExecution(e, "text", x); err != nil {
			return fail(e, err)
		}
		if !x.Succeeded() {
			code = exitFailure
		}
	}
	return code
}

// errReported is returned once the view has reported the failure.
var errReported = errors.New("reported")

// specsError is a failure to load the specs: nothing was planned or written.
type specsError struct{ err error }

func (e specsError) Error() string { return e.err.Error() }
func (e specsError) Unwrap() error { return e.err }

// applyFlow is apply once its flags are parsed and the job database is open: the live state is
// read while the specs load, then planned, shown through v, confirmed when asked and applied in
// one transaction. Every apply --watch pass runs it too.
func applyFlow(ctx context.Context, e *env, a *applyArgs, db *jobdb.DB, v view.Apply) error {
	_, err := applyReport(ctx, e, a, db, v)
	return err
}

// applyReport is applyFlow that also returns what the apply committed (nil when it wrote nothing).
func applyReport(ctx context.Context, e *env, a *applyArgs, db *jobdb.DB, v view.Apply) (*runner.Report, error) {
	wait, stop := readLive(ctx, db)
	defer stop()
	desired, saved, err := a.desired()
	if err != nil {
		return nil, specsError{err}
	}
	live, err := wait()
	if err != nil {
		return nil, err
	}
	secrets := runner.ResolveSecret(e.getenv, e.readFile)
	diffOpts := runner.Options{Scope: a.db.scope, Prune: a.prune, Secret: secrets, Now: e.now().UTC()}
	plan := func(live *jobdb.State) (*runner.Plan, error) {
		var p *runner.Plan
		var err error
		if saved != nil {
			p, err = saved.Diff(live, diffOpts) // refused unless it is the plan that was saved
		} else {
			p, err = runner.Diff(desired, live, diffOpts)
		}
		if err == nil {
			err = checkDeletes(p, a.maxDeletes)
		}
		return p, err
	}
	p, err := plan(live)
	if err != nil {
		return nil, err
	}
	// An unattended apply of the specs may plan again under the lock: it shows its plan once
	// applied, so that the plan shown is always the one carried out.
	replans := a.yes && saved == nil && p.Writes() && !a.planOnly
	if !replans {
		if err := v.Plan(p); err != nil {
			return nil, err
		}
	}
	if !p.Writes() || a.planOnly {
		return nil, v.Done(nil)
	}
	opts := runner.ApplyOptions{Secret: secrets, AppliedBy: appliedBy(a.paths), LockWait: a.lockWait, Progress: v.Progress}
	switch {
	case saved != nil:
		// A saved plan was reviewed when it was saved, and binds: it is never planned again.
	case a.yes:
		// Nobody reviewed this exact plan: if the job database moves before the lock is taken,
		// apply what the specs ask for against what is there then.
		opts.Replan = plan
	case p.Empty():
		// Adoption alone changes no object.
	case !isTerminal(e.stdin):
		v.NeedsYes()
		return nil, errReported
	default:
		v.Ask()
		if answer, err := readLine(ctx, e.stdin); err != nil || answer != "yes" {
			v.Canceled()
			return nil, errReported
		}
	}
	rep, err := runner.Apply(ctx, db, p, opts)
	if replans {
		if perr := v.Plan(rep.Plan); perr != nil {
			return nil, perr
		}
	}
	if err != nil {
		v.Failed(withHint(err))
		return nil, errReported
	}
	return &rep, v.Done(&rep)
}

// desired returns what apply makes the job database hold: the specs', or a saved plan's, which
// then binds the apply (see runner.PlanFile.Diff). A saved plan sets the scope and prune flags it
// was made with.
func (a *applyArgs) desired() (*runner.Desired, *runner.PlanFile, error) {
	if a.planFile != "" {
		pf, err := runner.LoadPlanFile(a.planFile)
		if err != nil {
			return nil, nil, err
		}
		d := pf.Desired
		if pf.Prune && len(d.Credentials)+len(d.TargetGroups)+len(d.Jobs) == 0 {
			return nil, nil, fmt.Errorf("%s: %w", a.planFile, errEmptyPrune)
		}
		a.db.scope, a.prune = pf.Scope, pf.Prune
		return pf.Desired, pf, nil
	}
	set, err := loadSpecs(a.view, a.paths, a.prune)
	if err != nil {
		return nil, nil, err
	}
	return runner.FromSpec(set), nil, nil
}

// checkDeletes is the --max-deletes guard.
func checkDeletes(p *runner.Plan, limit int) error {
	if _, _, destroy := p.Counts(); destroy > limit {
		return fmt.Errorf("the plan deletes %s, more than --max-deletes %d; nothing was applied", view.Count(destroy, "object"), limit)
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

// readLine reads one line of the answer to a question, trimmed; an interrupt ends the wait.
func readLine(ctx context.Context, in io.Reader) (string, error) {
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(in).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		return s, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
