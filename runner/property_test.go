package runner_test

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// estate is a small random model of what the specs hold: target groups with members, and jobs
// whose steps run on them.
type estate struct {
	members map[string][]spec.Member // target group → members
	jobs    map[string][]estateStep
	seq     int
}

type estateStep struct{ name, command, group string }

var estateGroups = []string{"g1", "g2"}

func (e *estate) fresh(prefix string) string {
	e.seq++
	return fmt.Sprintf("%s%d", prefix, e.seq)
}

// newMember is a member of a random kind: a server, a database or an elastic pool, included or
// excluded, under names never used before.
func (e *estate) newMember(rng *rand.Rand) spec.Member {
	m := spec.Member{Server: e.fresh("srv") + ".database.windows.net", Membership: []string{"Include", "Exclude"}[rng.Intn(2)]}
	switch rng.Intn(3) {
	case 0:
		m.Database = e.fresh("db")
	case 1:
		m.ElasticPool = e.fresh("pool")
	}
	return m
}

// edit applies one random change to the model and says what it did.
func (e *estate) edit(rng *rand.Rand) string {
	g := estateGroups[rng.Intn(len(estateGroups))]
	ms := e.members[g]
	switch k := rng.Intn(8); {
	case k == 0 || len(ms) == 0:
		e.members[g] = append(ms, e.newMember(rng))
		return "add a member to " + g
	case k == 1:
		i := rng.Intn(len(ms))
		e.members[g] = slices.Delete(ms, i, i+1)
		return fmt.Sprintf("remove member %d of %s", i, g)
	case k == 2:
		i := rng.Intn(len(ms))
		ms[i].Membership = map[string]string{"Include": "Exclude", "Exclude": "Include"}[ms[i].Membership]
		return fmt.Sprintf("flip the membership of member %d of %s", i, g)
	case k == 3:
		i := rng.Intn(len(ms))
		ms[i] = e.newMember(rng)
		return fmt.Sprintf("replace member %d of %s", i, g)
	case k == 4 || len(e.jobs) == 0:
		name := e.fresh("job-")
		for range 1 + rng.Intn(2) {
			e.jobs[name] = append(e.jobs[name], estateStep{e.fresh("s"), e.fresh("SELECT "), g})
		}
		return "add " + name
	}
	names := make([]string, 0, len(e.jobs))
	for n := range e.jobs {
		names = append(names, n)
	}
	slices.Sort(names)
	name := names[rng.Intn(len(names))]
	steps := e.jobs[name]
	i := rng.Intn(len(steps))
	switch rng.Intn(3) {
	case 0:
		delete(e.jobs, name)
		return "delete " + name
	case 1:
		steps[i].command = e.fresh("SELECT ")
		return "change a command of " + name
	}
	steps[i].group = g
	return fmt.Sprintf("move a step of %s to %s", name, g)
}

func (e *estate) specs() *spec.Set {
	set := &spec.Set{Agent: &spec.Agent{Authentication: spec.AuthManagedIdentity}}
	for _, g := range estateGroups {
		set.TargetGroups = append(set.TargetGroups, &spec.TargetGroup{Meta: spec.Meta{Name: g}, Members: slices.Clone(e.members[g])})
	}
	for name, steps := range e.jobs {
		j := &spec.Job{Meta: spec.Meta{Name: name}}
		for _, s := range steps {
			j.Steps = append(j.Steps, defaultStep(s.name, s.group, s.command+";"))
		}
		set.Jobs = append(set.Jobs, j)
	}
	return set
}

// render writes the model as sorted lines: one per member, with the target type the documented
// rule gives it, and one per step in step order.
func (e *estate) render() string {
	var lines []string
	for g, ms := range e.members {
		for _, m := range ms {
			typ := "SqlServer"
			switch {
			case m.Database != "":
				typ = "SqlDatabase"
			case m.ElasticPool != "":
				typ = "SqlElasticPool"
			}
			lines = append(lines, memberLine(g, m.Membership, typ, m.Server, m.Database, m.ElasticPool, m.RefreshCredential))
		}
	}
	for name, steps := range e.jobs {
		for i, s := range steps {
			lines = append(lines, stepLine(name, i+1, s.name, s.command+";", s.group))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func memberLine(group string, fields ...string) string {
	return "member " + group + " " + strings.Join(fields, "|")
}

func stepLine(job string, id int, name, command, group string) string {
	return fmt.Sprintf("step %s %d %s %q %s", job, id, name, command, group)
}

// renderLive writes the job database's state as render writes the model.
func renderLive(st *jobdb.State) string {
	var lines []string
	for _, g := range st.TargetGroups {
		for _, m := range g.Members {
			lines = append(lines, memberLine(g.Name, m.Membership, m.Type, m.Server, m.Database, m.ElasticPool, m.RefreshCredential))
		}
	}
	for _, j := range st.Jobs {
		for i, s := range j.Steps {
			lines = append(lines, stepLine(j.Name, i+1, s.Name, s.Command, s.TargetGroup))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestRandomEditsApplyExactly applies random sequences of edits to target group members and jobs:
// after each apply the job database holds exactly the model's members and steps, read back from
// the views, and planning again changes nothing.
func TestRandomEditsApplyExactly(t *testing.T) {
	_, db := openEmulator(t)
	ctx := context.Background()
	rng := rand.New(rand.NewSource(3))
	e := &estate{members: map[string][]spec.Member{}, jobs: map[string][]estateStep{}}
	opts := runner.Options{Scope: "property", Prune: true}
	var history []string
	for round := range 40 {
		for range 1 + rng.Intn(3) {
			history = append(history, e.edit(rng))
		}
		d := runner.FromSpec(e.specs())
		live, err := db.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		opts.Now = time.Now()
		p, err := runner.Diff(d, live, opts)
		if err != nil {
			t.Fatalf("round %d, after %v: %v", round, history, err)
		}
		if _, err := runner.Apply(ctx, db, p, runner.ApplyOptions{LockWait: time.Minute}); err != nil {
			t.Fatalf("round %d, after %v: apply: %v", round, history, err)
		}
		if live, err = db.Read(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := renderLive(live), e.render(); got != want {
			t.Fatalf("round %d, after %v:\nlive:\n%s\nmodel:\n%s", round, history, got, want)
		}
		if p, err := runner.Diff(d, live, opts); err != nil || !p.Empty() {
			t.Fatalf("round %d, after %v: plan after apply: %d changes, %v", round, history, len(p.Changes), err)
		}
	}
}
