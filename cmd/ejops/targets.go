package main

import (
	"context"
	"flag"
	"strings"
	"time"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/runner/targets"
	"github.com/ejops/ejops/spec"
)

func init() {
	commands["targets"] = command{summary: "resolve target groups into databases now; --check tests each job can log in to each", run: runTargets, interruptible: true}
}

// targetsArgs are the parsed flags of targets.
type targetsArgs struct {
	db      dbFlags
	view    *view.View
	specs   []string
	check   bool
	names   []string // target groups, or jobs with --check
	servers targets.Map
	target  targetFlags
}

// targetFlags are the flags of connections to target servers, shared by targets and plan --targets.
type targetFlags struct {
	parallel int
	timeout  time.Duration
}

func (f *targetFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.parallel, "parallel", 16, "connections to target servers at once")
	fs.DurationVar(&f.timeout, "target-timeout", 15*time.Second, "timeout of each connection to a target server, its login and queries included")
}

// check rejects bad values and parses EJOPS_TARGET_MAP; it returns the usage exit code, or -1.
func (f *targetFlags) check(e *env) (targets.Map, int) {
	switch {
	case f.parallel < 1:
		return nil, usageErrorf(e, "--parallel must be at least 1")
	case f.timeout <= 0:
		return nil, usageErrorf(e, "--target-timeout must be positive")
	}
	m, err := targets.ParseMap(e.getenv(targets.MapEnv))
	if err != nil {
		return nil, usageErrorf(e, "%v", err)
	}
	return m, -1
}

// resolver returns the resolver of the specs' target groups over the target servers.
func (f *targetFlags) resolver(e *env, m targets.Map, set *spec.Set, d *runner.Desired) (*targets.Resolver, *targets.Client) {
	client := &targets.Client{Map: m, Timeout: f.timeout, AppName: "ejops"}
	mi := set.Agent != nil && set.Agent.Authentication == spec.AuthManagedIdentity
	auth := targets.NewAuth(d, runner.ResolveSecret(e.getenv, e.readFile), mi)
	return &targets.Resolver{Servers: client, Auth: auth, Parallel: f.parallel}, client
}

// parseTargetsArgs parses targets' flags; a code >= 0 means stop with that exit code.
func parseTargetsArgs(e *env, args []string) (targetsArgs, int) {
	var a targetsArgs
	fs := newFlags(e, "targets", "[flags] [GROUP...]  |  ejops targets --check [flags] [JOB...]", `  ejops targets                         # every target group of the specs in .
  ejops targets --specs jobs/ tenants    # one group
  ejops targets --check nightly-stats    # can each step log in to each database?
  EJOPS_TARGET_MAP=tenants-1=127.0.0.1:50001 ejops targets   # route a server to a local emulator`)
	a.db.register(fs)
	var o outputFlags
	o.register(fs)
	var specs patterns
	fs.Var(&specs, "specs", "spec `PATH` to load (repeatable; default .)")
	fs.BoolVar(&a.check, "check", false, "connect to every database each job's steps reach, as the step's credential, and\nreport those that would fail; arguments name jobs")
	a.target.register(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return a, code
	}
	var code int
	if a.servers, code = a.target.check(e); code >= 0 {
		return a, code
	}
	if !a.check { // the check needs no job database
		if code := a.db.check(e); code >= 0 {
			return a, code
		}
	}
	a.specs, a.names = specs, fs.Args()
	a.view, code = o.view(e, "targets")
	return a, code
}

func runTargets(ctx context.Context, e *env, args []string) int {
	a, code := parseTargetsArgs(e, args)
	if code >= 0 {
		return code
	}
	ctx, cancel := a.db.bound(ctx)
	defer cancel()
	set, err := loadSpecs(a.view, a.specs, false)
	if err != nil {
		return fail(e, err)
	}
	desired := runner.FromSpec(set)
	r, _ := a.target.resolver(e, a.servers, set, desired)
	tv := view.NewTargets(a.view)
	if a.check {
		return checkTargets(ctx, e, a, r, desired, tv)
	}
	groups, code := pick(e, "target group", desired.TargetGroups, func(g runner.DesiredTargetGroup) string { return g.Name }, a.names)
	if code >= 0 {
		return code
	}
	db, err := a.db.open(e)
	if err != nil {
		return fail(e, err)
	}
	defer db.Close()
	type recorded struct {
		rs  *jobdb.Resolutions
		err error
	}
	read := make(chan recorded, 1)
	go func() {
		rs, err := db.ReadResolutions(ctx, a.db.scope)
		read <- recorded{rs, err}
	}()
	resolved := r.Resolve(ctx, groups)
	prev := <-read
	if ctx.Err() != nil {
		return fail(e, context.Cause(ctx))
	}
	rep := &view.TargetsReport{Scope: a.db.scope, Groups: resolved}
	if prev.err != nil {
		rep.NotRecorded = withHint(prev.err).Error()
	} else {
		rep.Changes, rep.NotRecorded = recordResolutions(ctx, e, db, a.db.scope, prev.rs, resolved)
	}
	if err := tv.Resolution(rep); err != nil {
		return fail(e, err)
	}
	for _, g := range resolved {
		if g.Failed() {
			return exitFailure
		}
	}
	return exitOK
}

// pick returns the items named (all when none is), or the usage exit code naming what is missing.
func pick[T any](e *env, what string, all []T, name func(T) string, names []string) ([]T, int) {
	if len(names) == 0 {
		return all, -1
	}
	var out []T
	for _, n := range names {
		i := indexName(len(all), func(i int) string { return name(all[i]) }, n)
		if i < 0 {
			return nil, usageErrorf(e, "targets: no %s %q in the specs", what, n)
		}
		out = append(out, all[i])
	}
	return out, -1
}

// indexName returns the index of name among n names (compared as the job database does), or -1.
func indexName(n int, name func(int) string, want string) int {
	for i := 0; i < n; i++ {
		if strings.EqualFold(name(i), want) {
			return i
		}
	}
	return -1
}

// recordResolutions compares the groups resolved in full with their recorded resolutions and
// records them. It returns the changes and, when nothing could be recorded, why (a login that
// cannot write still gets the resolution).
func recordResolutions(ctx context.Context, e *env, db *jobdb.DB, scope string, prev *jobdb.Resolutions, groups []targets.Group) ([]targets.Change, string) {
	var changes []targets.Change
	var save []jobdb.Resolution
	now := e.now().UTC()
	for _, g := range groups {
		if !g.Complete() {
			continue // a partial resolution would show databases as removed
		}
		c := targets.Change{Group: g.Name}
		if p, ok := prev.Find(g.Name); ok {
			c.Added, c.Removed = targets.Compare(p.Databases, g.Databases)
		} else {
			c.First = true
		}
		changes = append(changes, c)
		save = append(save, jobdb.Resolution{Group: g.Name, Databases: g.Databases, ResolvedAt: now})
	}
	if err := db.SaveResolutions(ctx, scope, prev, save); err != nil {
		return changes, withHint(err).Error()
	}
	return changes, ""
}

// checkTargets is targets --check: the jobs named (all when none is) checked database by database.
func checkTargets(ctx context.Context, e *env, a targetsArgs, r *targets.Resolver, d *runner.Desired, tv view.Targets) int {
	jobs, code := pick(e, "job", d.Jobs, func(j runner.DesiredJob) string { return j.Name }, a.names)
	if code >= 0 {
		return code
	}
	groups := r.Resolve(ctx, groupsOf(d, jobs))
	checks := r.Check(ctx, jobs, targets.Index(groups))
	if ctx.Err() != nil {
		return fail(e, context.Cause(ctx))
	}
	if err := tv.Check(checks); err != nil {
		return fail(e, err)
	}
	for _, c := range checks {
		if c.Failed() {
			return exitFailure
		}
	}
	return exitOK
}

// groupsOf returns the target groups the steps of jobs name, each once.
func groupsOf(d *runner.Desired, jobs []runner.DesiredJob) []runner.DesiredTargetGroup {
	used := map[string]bool{}
	for _, j := range jobs {
		for _, s := range j.Steps {
			used[strings.ToLower(s.TargetGroup)] = true
		}
	}
	return groupsNamed(d, used)
}

// groupsNamed returns the target groups of d whose lower-cased names are in names, in d's order.
func groupsNamed(d *runner.Desired, names map[string]bool) []runner.DesiredTargetGroup {
	var out []runner.DesiredTargetGroup
	for _, g := range d.TargetGroups {
		if names[strings.ToLower(g.Name)] {
			out = append(out, g)
		}
	}
	return out
}
