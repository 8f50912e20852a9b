package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/targets"
)

func init() {
	commands["plan"] = command{summary: "show what apply would change in the job database", run: runPlan, interruptible: true}
}

// planArgs are the parsed flags of plan.
type planArgs struct {
	db       dbFlags
	view     *view.View
	detailed bool
	out      string
	prune    bool
	paths    []string
	comment  *pullRequest // --github-comment: the pull request to comment on
	targets  bool         // --targets: resolve what each changed job and target group reaches
	target   targetFlags
	servers  targets.Map
}

// parsePlanArgs parses plan's flags; a code >= 0 means stop with that exit code.
func parsePlanArgs(e *env, args []string) (planArgs, int) {
	var a planArgs
	fs := newFlags(e, "plan", "[flags] [PATH...]", `  ejops plan examples/quickstart
  ejops plan --detailed-exitcode --job-db-file /run/secrets/job-db jobs/
  ejops plan --out plan.json jobs/ && ejops apply --plan plan.json
  ejops plan --format markdown --github-comment jobs/    # in a pull request's workflow`)
	a.db.register(fs)
	var o outputFlags
	o.register(fs)
	fs.BoolVar(&a.detailed, "detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error")
	fs.StringVar(&a.out, "out", "", "save the plan to `FILE` for apply --plan")
	fs.BoolVar(&a.prune, "prune", false, "plan deletion of owned objects that left the specs")
	fs.BoolVar(&a.targets, "targets", false, "show how many databases each job and target group created or changed reaches now\n(connects to the target servers as the refresh credentials)")
	a.target.register(fs)
	fs.Lookup("format").Usage = "output format: text, json or markdown (GitHub-flavoured, also appended to\n$GITHUB_STEP_SUMMARY when set)"
	comment := fs.Bool("github-comment", false, "create or update the scope's plan comment on the pull request of a GitHub\nActions run (needs GITHUB_TOKEN with pull-requests: write)")
	if code := parseFlags(fs, args); code >= 0 {
		return a, code
	}
	if *comment {
		var err error
		if a.comment, err = pullRequestFromEnv(e); err != nil {
			return a, fail(e, err)
		}
	}
	if code := a.db.check(e); code >= 0 {
		return a, code
	}
	var code int
	if a.targets {
		if a.servers, code = a.target.check(e); code >= 0 {
			return a, code
		}
	}
	a.view, code = o.view(e, "plan", view.Markdown)
	a.paths = fs.Args()
	return a, code
}

func runPlan(ctx context.Context, e *env, args []string) int {
	a, code := parsePlanArgs(e, args)
	if code >= 0 {
		return code
	}
	defer gcHeadroom(specHeadroom)()
	ctx, cancel := a.db.bound(ctx)
	defer cancel()
	db, wait, stop, err := a.db.openReading(ctx, e)
	if err != nil {
		return fail(e, err)
	}
	defer db.Close()
	defer stop()
	set, err := loadSpecs(a.view, a.paths, a.prune)
	if err != nil {
		return fail(e, err)
	}
	live, err := wait()
	if err != nil {
		return fail(e, err)
	}
	desired := runner.FromSpec(set)
	opt := runner.Options{Scope: a.db.scope, Prune: a.prune, Secret: runner.ResolveSecret(e.getenv, e.readFile),
		Now: e.now().UTC(), Preview: true}
	p, err := runner.Diff(desired, live, opt)
	if err != nil {
		return fail(e, err)
	}
	if a.targets {
		r, _ := a.target.resolver(e, a.servers, set, desired)
		addReach(ctx, r, desired, p)
		if ctx.Err() != nil {
			return fail(e, context.Cause(ctx))
		}
	}
	md := planMarkdown(e, a.view, set, p)
	pv := view.NewPlan(a.view)
	if a.view.Format == view.Markdown {
		pv = md
	}
	if err := pv.Plan(p); err != nil {
		return fail(e, err)
	}
	if err := publishPlan(ctx, e, a, md, p); err != nil {
		return fail(e, err)
	}
	if a.out != "" {
		pf, err := runner.NewPlanFile(p, desired, live, opt)
		if err == nil {
			err = runner.SavePlanFile(a.out, pf)
		}
		if err != nil {
			return fail(e, fmt.Errorf("plan not saved: %w", err))
		}
	}
	if a.detailed && !p.Empty() {
		return exitChanges
	}
	return exitOK
}

// addReach resolves the target groups of the jobs and target groups the plan creates or changes,
// and sets what each reaches now. Members that cannot be enumerated are the reach's problems, which
// the plan shows as warnings.
func addReach(ctx context.Context, r *targets.Resolver, d *runner.Desired, p *runner.Plan) {
	jobs := make(map[string]*runner.DesiredJob, len(d.Jobs))
	for i := range d.Jobs {
		jobs[strings.ToLower(d.Jobs[i].Name)] = &d.Jobs[i]
	}
	reaches := func(c runner.Change) bool {
		return c.Action != runner.Delete && (c.Kind == runner.KindJob || c.Kind == runner.KindTargetGroup)
	}
	groupNames := func(c runner.Change) []string {
		if c.Kind == runner.KindTargetGroup {
			return []string{c.Name}
		}
		var names []string
		if j := jobs[strings.ToLower(c.Name)]; j != nil {
			for _, s := range j.Steps {
				names = append(names, s.TargetGroup)
			}
		}
		return names
	}
	used := map[string]bool{}
	for _, c := range p.Changes {
		if reaches(c) {
			for _, n := range groupNames(c) {
				used[strings.ToLower(n)] = true
			}
		}
	}
	resolved := targets.Index(r.Resolve(ctx, groupsNamed(d, used)))
	for i, c := range p.Changes {
		if !reaches(c) {
			continue
		}
		var gs []*targets.Group
		for _, n := range groupNames(c) {
			if g := resolved[strings.ToLower(n)]; g != nil {
				gs = append(gs, g)
			}
		}
		p.Changes[i].Reach = targets.Reach(gs)
	}
}
