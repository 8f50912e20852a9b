package view

import (
	"fmt"
	"io"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/targets"
)

// targetsFormatVersion is the version of the JSON documents of targets.
const targetsFormatVersion = "1"

// TargetsReport is what targets found: each group's databases and, for the groups resolved in
// full, what changed since the resolution recorded last.
type TargetsReport struct {
	Scope   string
	Groups  []targets.Group
	Changes []targets.Change // by group name; a group resolved in part has none
	// NotRecorded says why the resolution was not recorded ("" when it was).
	NotRecorded string
}

// change returns the change of group g, or nil.
func (r *TargetsReport) change(g string) *targets.Change {
	for i := range r.Changes {
		if r.Changes[i].Group == g {
			return &r.Changes[i]
		}
	}
	return nil
}

// Targets is the view of targets.
type Targets interface {
	// Resolution shows the target groups resolved.
	Resolution(r *TargetsReport) error
	// Check shows the check of each job.
	Check(checks []targets.JobCheck) error
}

// NewTargets returns the targets view in v's form: text or JSON.
func NewTargets(v *View) Targets {
	if v.Format == JSON {
		return targetsJSON{v}
	}
	return targetsText{v}
}

// DescribeReach says what a job or group reaches: "212 databases in 3 servers and 1 pool".
func DescribeReach(r *runner.Reach) string {
	s := fmt.Sprintf("%s in %s", Count(len(r.Databases), "database"), Count(r.Servers, "server"))
	if r.Pools > 0 {
		s += " and " + Count(r.Pools, "pool")
	}
	return s
}

type targetsText struct{ *View }

func (v targetsText) Resolution(r *TargetsReport) error {
	notRecorded(v.Stderr, r)
	w := v.Stdout
	total, failed := 0, 0
	for i := range r.Groups {
		g := &r.Groups[i]
		reach := targets.Reach([]*targets.Group{g})
		total += len(g.Databases)
		fmt.Fprintf(w, "target group %s: %s\n", safeName(g.Name), DescribeReach(reach))
		for _, d := range g.Databases {
			fmt.Fprintf(w, "  %s\n", databaseLine(d))
		}
		for _, p := range g.Problems {
			mark := "!"
			if p.Failure == nil {
				mark = "?"
				fmt.Fprintf(w, "  %s %s\n", mark, EscapeLine(p.String()))
				continue
			}
			failed++
			fmt.Fprintf(w, "  %s cannot enumerate %s\n", mark, EscapeLine(p.String()))
		}
		if c := r.change(g.Name); c != nil {
			writeChange(w, c, v.Colors)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s, %s", Count(len(r.Groups), "target group"), Count(total, "database"))
	if failed > 0 {
		fmt.Fprintf(w, "; %s could not be enumerated", Count(failed, "member"))
	}
	fmt.Fprintln(w, ".")
	return nil
}

// writeChange lists what changed in a group since its recorded resolution.
func writeChange(w io.Writer, c *targets.Change, col Colors) {
	switch {
	case c.First:
		fmt.Fprintln(w, "  (first resolution recorded)")
	case len(c.Added) == 0 && len(c.Removed) == 0:
		fmt.Fprintln(w, "  unchanged since the last resolution")
	default:
		fmt.Fprintf(w, "  since the last resolution: %d added, %d removed\n", len(c.Added), len(c.Removed))
		for _, d := range c.Added {
			fmt.Fprintf(w, "  %s+ %s%s\n", col.Add, databaseLine(d), col.Reset)
		}
		for _, d := range c.Removed {
			fmt.Fprintf(w, "  %s- %s%s\n", col.Delete, databaseLine(d), col.Reset)
		}
	}
}

// databaseLine shows a database as server/database, with its elastic pool when known.
func databaseLine(d targets.Database) string {
	s := EscapeLine(d.Server) + "/" + EscapeLine(d.Database)
	if d.ElasticPool != "" {
		s += " (pool " + EscapeLine(d.ElasticPool) + ")"
	}
	return s
}

// notRecorded says on stderr that the resolution was not recorded, and why.
func notRecorded(w io.Writer, r *TargetsReport) {
	if r.NotRecorded != "" {
		fmt.Fprintf(w, "ejops: notice: this resolution was not recorded (the next one cannot show changes since it): %s\n", EscapeLine(r.NotRecorded))
	}
}

func (v targetsText) Check(checks []targets.JobCheck) error {
	w := v.Stdout
	for _, c := range checks {
		verdict := "all reachable"
		switch {
		case len(c.Failures) > 0:
			verdict = Count(len(c.Failures), "failure")
		case c.Failed():
			verdict = "targets not fully resolved"
		case len(c.NotChecked) > 0:
			verdict = "checked in part"
		}
		fmt.Fprintf(w, "job %s: %s, %s\n", safeName(c.Job), Count(c.Databases, "database"), verdict)
		for _, f := range c.Failures {
			where := ""
			switch {
			case f.Output:
				where = " output " + EscapeLine(f.Server) + "/" + EscapeLine(f.Database)
			case f.Database != "":
				where = " " + EscapeLine(f.Server) + "/" + EscapeLine(f.Database)
			}
			fmt.Fprintf(w, "  %s✗ step %s%s: %s: %s%s\n", v.Colors.Delete, safeName(f.Step), where, f.Stage, EscapeLine(f.Message), v.Colors.Reset)
		}
		for _, u := range c.Unresolved {
			fmt.Fprintf(w, "  ! target group %s: %s\n", safeName(u.Group), EscapeLine(u.String()))
		}
		for _, n := range c.NotChecked {
			what := "step " + safeName(n.Step)
			if n.Output {
				what += " output"
			}
			fmt.Fprintf(w, "  ? %s: %s\n", what, EscapeLine(n.Reason))
		}
	}
	if len(checks) > 0 {
		fmt.Fprintln(w)
	}
	sum := summarize(checks)
	fmt.Fprintf(w, "Check: %s, %s", Count(sum.Jobs, "job"), Count(sum.Databases, "database"))
	if sum.FailingJobs > 0 {
		fmt.Fprintf(w, "; %s would fail", Count(sum.FailingJobs, "job"))
		if sum.Failures > 0 {
			fmt.Fprintf(w, ", with %s", Count(sum.Failures, "failure"))
		}
	} else {
		fmt.Fprint(w, "; none would fail")
	}
	fmt.Fprintln(w, ".")
	return nil
}

type targetsJSON struct{ *View }

// targetsDoc is the JSON document of a resolution.
type targetsDoc struct {
	FormatVersion string           `json:"formatVersion"`
	Scope         string           `json:"scope"`
	TargetGroups  []targetsDocItem `json:"targetGroups"`
	Recorded      bool             `json:"recorded"`
	NotRecorded   string           `json:"notRecorded,omitempty"`
}

type targetsDocItem struct {
	targets.Group
	Servers int             `json:"servers"`
	Pools   int             `json:"elasticPools"`
	Changes *targets.Change `json:"changes,omitempty"`
}

func (v targetsJSON) Resolution(r *TargetsReport) error {
	notRecorded(v.Stderr, r)
	doc := targetsDoc{FormatVersion: targetsFormatVersion, Scope: r.Scope, TargetGroups: []targetsDocItem{},
		Recorded: r.NotRecorded == "", NotRecorded: r.NotRecorded}
	for i := range r.Groups {
		g := &r.Groups[i]
		reach := targets.Reach([]*targets.Group{g})
		doc.TargetGroups = append(doc.TargetGroups, targetsDocItem{Group: *g, Servers: reach.Servers, Pools: reach.Pools, Changes: r.change(g.Name)})
	}
	return writeJSON(v.Stdout, doc)
}

// checkDoc is the JSON document of a check.
type checkDoc struct {
	FormatVersion string             `json:"formatVersion"`
	Jobs          []targets.JobCheck `json:"jobs"`
	Summary       checkSummary       `json:"summary"`
}

type checkSummary struct {
	Jobs        int `json:"jobs"`
	Databases   int `json:"databases"`
	Failures    int `json:"failures"`
	FailingJobs int `json:"failingJobs"`
}

func (v targetsJSON) Check(checks []targets.JobCheck) error {
	doc := checkDoc{FormatVersion: targetsFormatVersion, Jobs: checks}
	if doc.Jobs == nil {
		doc.Jobs = []targets.JobCheck{}
	}
	doc.Summary = summarize(checks)
	return writeJSON(v.Stdout, doc)
}

// summarize counts the jobs and databases checked, the failures (a database, an output or a
// step's credential each) and the jobs that would fail, targets not fully resolved included.
func summarize(checks []targets.JobCheck) checkSummary {
	sum := checkSummary{Jobs: len(checks)}
	for _, c := range checks {
		sum.Databases += c.Databases
		sum.Failures += len(c.Failures)
		if c.Failed() {
			sum.FailingJobs++
		}
	}
	return sum
}

// partly notes a reach that some members could not add to: the databases may be more.
func partly(r *runner.Reach) string {
	if len(r.Problems) > 0 {
		return " (or more: " + Count(len(r.Problems), "member") + " could not be enumerated)"
	}
	return ""
}

// warnReach warns, once each, of the members plan --targets could not enumerate.
func warnReach(w io.Writer, p *runner.Plan) {
	seen := map[string]bool{}
	for _, c := range p.Changes {
		if c.Reach == nil {
			continue
		}
		for _, pr := range c.Reach.Problems {
			if !seen[pr] {
				seen[pr] = true
				fmt.Fprintf(w, "ejops: warning: cannot tell all the databases reached: %s\n", EscapeLine(pr))
			}
		}
	}
}
