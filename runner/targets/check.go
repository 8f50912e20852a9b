package targets

import (
	"context"
	"strings"
	"sync"

	"github.com/ejops/ejops/runner"
)

// JobCheck is the check of one job: the databases its steps reach, those that would fail, and
// what could not be checked.
type JobCheck struct {
	Job        string         `json:"job"`
	Databases  int            `json:"databases"` // distinct databases its steps reach
	Failures   []StepFailure  `json:"failures"`
	NotChecked []NotChecked   `json:"notChecked"`
	Unresolved []GroupProblem `json:"unresolved"` // members of its steps' groups that could not be resolved
}

// Failed reports whether a database of the job would fail, or a member of its groups could not
// be enumerated.
func (j *JobCheck) Failed() bool {
	if len(j.Failures) > 0 {
		return true
	}
	for _, u := range j.Unresolved {
		if u.Failure != nil {
			return true
		}
	}
	return false
}

// StepFailure is a database, or a step's output, that would fail. Without a database, the whole
// step fails (its credential cannot be used).
type StepFailure struct {
	Step     string `json:"step"`
	Server   string `json:"server,omitempty"`
	Database string `json:"database,omitempty"`
	Output   bool   `json:"output,omitempty"` // the step's output database and table
	Failure
}

// NotChecked is a step, or a step's output, that was not checked, and why.
type NotChecked struct {
	Step   string `json:"step"`
	Output bool   `json:"output,omitempty"`
	Reason string `json:"reason"`
}

// GroupProblem is a member problem of a group a job's step targets.
type GroupProblem struct {
	Group string `json:"targetGroup"`
	MemberProblem
}

type dbTask struct {
	server, database, credential string
	login                        Login
}

type outTask struct {
	out   runner.DesiredOutput
	login Login
}

// Check checks jobs: each database its steps' groups resolve to is connected to as the step's
// credential, and each output as the output's credential. A database reached by several steps as
// the same credential is connected to once. groups are the resolved groups by
// lower-case name (Index).
func (r *Resolver) Check(ctx context.Context, jobs []runner.DesiredJob, groups map[string]*Group) []JobCheck {
	dbs, outs := map[string]*Failure{}, map[string]*Failure{}
	var dbTasks []dbTask
	var outTasks []outTask
	out := make([]JobCheck, len(jobs))
	// First pass: what to connect to, and what fails before any connection.
	for i, j := range jobs {
		jc := JobCheck{Job: j.Name, Failures: []StepFailure{}, NotChecked: []NotChecked{}, Unresolved: []GroupProblem{}}
		for _, s := range j.Steps {
			g := groups[strings.ToLower(s.TargetGroup)]
			if g == nil {
				continue
			}
			login, f, skip := r.Auth.login(s.Credential)
			switch {
			case skip != "":
				jc.NotChecked = append(jc.NotChecked, NotChecked{Step: s.Name, Reason: skip})
			case f != nil:
				jc.Failures = append(jc.Failures, StepFailure{Step: s.Name, Failure: *f})
			default:
				for _, d := range g.Databases {
					k := dbKey(d) + "\x00" + strings.ToLower(s.Credential)
					if _, ok := dbs[k]; !ok {
						dbs[k] = nil
						dbTasks = append(dbTasks, dbTask{d.Server, d.Database, k, login})
					}
				}
			}
			if o := s.Output; o != nil {
				login, f, skip := r.Auth.login(o.Credential)
				switch {
				case skip != "":
					jc.NotChecked = append(jc.NotChecked, NotChecked{Step: s.Name, Output: true, Reason: skip})
				case f != nil:
					jc.Failures = append(jc.Failures, StepFailure{Step: s.Name, Output: true, Server: o.Server, Database: o.Database, Failure: *f})
				default:
					k := outKey(*o)
					if _, ok := outs[k]; !ok {
						outs[k] = nil
						outTasks = append(outTasks, outTask{*o, login})
					}
				}
			}
		}
		out[i] = jc
	}
	var mu sync.Mutex
	each(ctx, len(dbTasks)+len(outTasks), r.Parallel, func(ctx context.Context, i int) {
		if i < len(dbTasks) {
			t := dbTasks[i]
			f := r.Servers.CheckDatabase(ctx, t.server, t.database, t.login)
			mu.Lock()
			dbs[t.credential] = f
			mu.Unlock()
			return
		}
		t := outTasks[i-len(dbTasks)]
		f := r.Servers.CheckOutput(ctx, t.out, t.login)
		mu.Lock()
		outs[outKey(t.out)] = f
		mu.Unlock()
	})
	// Second pass: the outcome per job, in step and database order.
	for i, j := range jobs {
		jc := &out[i]
		var reached []*Group
		for _, s := range j.Steps {
			g := groups[strings.ToLower(s.TargetGroup)]
			if g == nil {
				continue
			}
			reached = append(reached, g)
			if jc.stepSkipped(s.Name, false) {
				continue
			}
			for _, d := range g.Databases {
				if f := dbs[dbKey(d)+"\x00"+strings.ToLower(s.Credential)]; f != nil {
					jc.Failures = append(jc.Failures, StepFailure{Step: s.Name, Server: d.Server, Database: d.Database, Failure: *f})
				}
			}
			if o := s.Output; o != nil && !jc.stepSkipped(s.Name, true) {
				if f := outs[outKey(*o)]; f != nil {
					jc.Failures = append(jc.Failures, StepFailure{Step: s.Name, Output: true, Server: o.Server, Database: o.Database, Failure: *f})
				}
			}
		}
		jc.Databases = len(Reach(uniqueGroups(reached)).Databases)
		for _, g := range uniqueGroups(reached) {
			for _, p := range g.Problems {
				jc.Unresolved = append(jc.Unresolved, GroupProblem{Group: g.Name, MemberProblem: p})
			}
		}
	}
	return out
}

// stepSkipped reports whether step (or its output) was not checked or failed as a whole in the
// first pass: it has no per-database outcome.
func (j *JobCheck) stepSkipped(step string, output bool) bool {
	for _, n := range j.NotChecked {
		if n.Step == step && n.Output == output {
			return true
		}
	}
	for _, f := range j.Failures {
		if f.Step == step && f.Output == output && (output || f.Database == "") {
			return true
		}
	}
	return false
}

// outKey identifies an output table and the credential that writes it.
func outKey(o runner.DesiredOutput) string {
	return strings.Join([]string{ServerKey(o.Server), strings.ToLower(o.Database), strings.ToLower(o.Schema),
		strings.ToLower(o.Table), strings.ToLower(o.Credential)}, "\x00")
}

// uniqueGroups drops repeated groups, keeping the first.
func uniqueGroups(gs []*Group) []*Group {
	var out []*Group
	seen := map[*Group]bool{}
	for _, g := range gs {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// Index returns groups by lower-case name, for Check.
func Index(groups []Group) map[string]*Group {
	m := make(map[string]*Group, len(groups))
	for i := range groups {
		m[strings.ToLower(groups[i].Name)] = &groups[i]
	}
	return m
}
