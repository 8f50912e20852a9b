package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// specModel is a small random job estate: jobs with ordered steps over two target groups.
type specModel struct {
	jobs    map[string]*modelJob
	members map[string][]string // target group → databases
	seq     int
	gone    []string // names of deleted steps, reused by later renames
}

type modelJob struct {
	description string
	enabled     bool
	steps       []modelStep
}

type modelStep struct {
	name, command, group string
	timeout              int // minutes
}

func (m *specModel) fresh(prefix string) string {
	m.seq++
	return fmt.Sprintf("%s%d", prefix, m.seq)
}

// edit applies one random change to the model.
func (m *specModel) edit(rng *rand.Rand) string {
	names := make([]string, 0, len(m.jobs))
	for n := range m.jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 || rng.Intn(8) == 0 {
		j := &modelJob{description: "job"}
		for range 1 + rng.Intn(3) {
			j.steps = append(j.steps, modelStep{name: m.fresh("s"), command: m.fresh("SELECT "), group: "g1", timeout: 60})
		}
		name := m.fresh("job-")
		m.jobs[name] = j
		return "add job " + name
	}
	name := names[rng.Intn(len(names))]
	j := m.jobs[name]
	switch k := rng.Intn(10); {
	case k == 0:
		delete(m.jobs, name)
		return "delete job " + name
	case k == 1:
		i := rng.Intn(len(j.steps) + 1)
		s := modelStep{name: m.fresh("s"), command: m.fresh("SELECT "), group: "g2", timeout: 30}
		j.steps = append(j.steps[:i], append([]modelStep{s}, j.steps[i:]...)...)
		return fmt.Sprintf("insert step in %s at %d", name, i+1)
	case k == 2 && len(j.steps) > 1:
		i := rng.Intn(len(j.steps))
		m.gone = append(m.gone, j.steps[i].name)
		j.steps = append(j.steps[:i], j.steps[i+1:]...)
		return fmt.Sprintf("delete step %d of %s", i+1, name)
	case k == 3 && len(j.steps) > 1:
		i, to := rng.Intn(len(j.steps)), rng.Intn(len(j.steps))
		s := j.steps[i]
		j.steps = append(j.steps[:i], j.steps[i+1:]...)
		j.steps = append(j.steps[:to], append([]modelStep{s}, j.steps[to:]...)...)
		return fmt.Sprintf("move step of %s", name)
	case k == 4:
		i := rng.Intn(len(j.steps))
		newName := m.fresh("renamed")
		// Reuse a deleted step's name when this job has no step of that name.
		if len(m.gone) > 0 && rng.Intn(2) == 0 {
			candidate := m.gone[rng.Intn(len(m.gone))]
			if !j.hasStep(candidate) {
				newName = candidate
			}
		}
		j.steps[i].name = newName
		return fmt.Sprintf("rename step of %s to %s", name, newName)
	case k == 9 && len(j.steps) > 1:
		a, b := rng.Intn(len(j.steps)), rng.Intn(len(j.steps))
		j.steps[a].name, j.steps[b].name = j.steps[b].name, j.steps[a].name
		return fmt.Sprintf("swap step names in %s", name)
	case k == 5:
		i := rng.Intn(len(j.steps))
		j.steps[i].command = m.fresh("SELECT ")
		return fmt.Sprintf("change command of %s", name)
	case k == 6:
		i := rng.Intn(len(j.steps))
		j.steps[i].timeout = 1 + rng.Intn(600)
		j.steps[i].group = []string{"g1", "g2"}[rng.Intn(2)]
		return fmt.Sprintf("change timeout and group of %s", name)
	case k == 7:
		j.description = m.fresh("about ")
		j.enabled = !j.enabled
		return fmt.Sprintf("change description and enabled of %s", name)
	default:
		g := []string{"g1", "g2"}[rng.Intn(2)]
		if len(m.members[g]) > 1 && rng.Intn(2) == 0 {
			m.members[g] = m.members[g][1:]
		} else {
			m.members[g] = append(m.members[g], m.fresh("db"))
		}
		return "change members of " + g
	}
}

func (j *modelJob) hasStep(name string) bool {
	for _, s := range j.steps {
		if strings.EqualFold(s.name, name) {
			return true
		}
	}
	return false
}

func (m *specModel) write(t *testing.T, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		os.Remove(f)
	}
	var b strings.Builder
	b.WriteString(miAgent)
	for _, g := range []string{"g1", "g2"} {
		fmt.Fprintf(&b, "---\napiVersion: ejops/v1\nkind: TargetGroup\nmetadata: {name: %s}\nspec:\n  members:\n", g)
		for _, d := range m.members[g] {
			fmt.Fprintf(&b, "    - {server: s.database.windows.net, database: %s}\n", d)
		}
	}
	for name, j := range m.jobs {
		// A schedule in the future keeps the agent from running (and disabling) enabled jobs.
		fmt.Fprintf(&b, "---\napiVersion: ejops/v1\nkind: Job\nmetadata: {name: %s}\nspec:\n  description: %q\n  enabled: %t\n  schedule: {every: 1d, start: 2099-01-01T00:00:00Z}\n  steps:\n", name, j.description, j.enabled)
		for _, s := range j.steps {
			fmt.Fprintf(&b, "    - {name: %s, targetGroup: %s, command: %q, timeout: %dm}\n", s.name, s.group, s.command+";", s.timeout)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "specs.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// live renders the job database's jobs, steps and the members of g1 and g2 like render does the
// model.
func (j *jobDB) live(t *testing.T) string {
	t.Helper()
	rows, err := j.db.Query(`SELECT j.job_name, j.description, j.enabled, s.step_name, s.command, s.target_group_name, s.step_timeout_seconds
FROM jobs.jobs j LEFT JOIN jobs.jobsteps s ON s.job_name = j.job_name ORDER BY j.job_name, s.step_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var job, desc, step, cmd, group string
		var enabled bool
		var timeout int
		if err := rows.Scan(&job, &desc, &enabled, &step, &cmd, &group, &timeout); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %q %t %s %s %s %d\n", job, desc, enabled, step, cmd, group, timeout)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	members, err := j.db.Query(`SELECT target_group_name, database_name FROM jobs.target_group_members
WHERE target_group_name IN (N'g1', N'g2') ORDER BY target_group_name, database_name`)
	if err != nil {
		t.Fatal(err)
	}
	defer members.Close()
	for members.Next() {
		var group, database string
		if err := members.Scan(&group, &database); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "member %s %s\n", group, database)
	}
	if err := members.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func (m *specModel) render() string {
	names := make([]string, 0, len(m.jobs))
	for n := range m.jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		j := m.jobs[n]
		for _, s := range j.steps {
			fmt.Fprintf(&b, "%s %q %t %s %s %s %d\n", n, j.description, j.enabled, s.name, s.command+";", s.group, s.timeout*60)
		}
	}
	for _, g := range []string{"g1", "g2"} {
		databases := append([]string(nil), m.members[g]...)
		sort.Strings(databases)
		for _, d := range databases {
			fmt.Fprintf(&b, "member %s %s\n", g, d)
		}
	}
	return b.String()
}

// TestRandomEditsConverge applies random sequences of spec edits: after each apply, plan is empty
// and the job database holds exactly the specs.
func TestRandomEditsConverge(t *testing.T) {
	j := startJobDB(t)
	dir := t.TempDir()
	seed := int64(7)
	if s := os.Getenv("EJOPS_PROPERTY_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed = n
	}
	t.Logf("seed %d (set EJOPS_PROPERTY_SEED to replay another)", seed)
	rng := rand.New(rand.NewSource(seed))
	m := &specModel{jobs: map[string]*modelJob{}, members: map[string][]string{"g1": {"a"}, "g2": {"b"}}}
	var history []string
	for i := range 60 {
		for range 1 + rng.Intn(3) {
			history = append(history, m.edit(rng))
		}
		m.write(t, dir)
		if code, out, errOut := j.ejops(t, "apply", "--yes", "--prune", dir); code != 0 {
			t.Fatalf("round %d, after %v: apply exit %d\n%s\n%s", i, history, code, out, errOut)
		}
		if code, out, _ := j.ejops(t, "plan", "--detailed-exitcode", dir); code != 0 {
			t.Fatalf("round %d, after %v: plan not empty:\n%s", i, history, out)
		}
		if got, want := j.live(t), m.render(); got != want {
			t.Fatalf("round %d, after %v:\nlive:\n%s\nspecs:\n%s", i, history, got, want)
		}
	}
}
