package spec

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Limits of the job database that the checks enforce.
const (
	MaxNameLength        = 128     // nvarchar(128) names
	MaxDescriptionLength = 512     // nvarchar(512) job description
	MaxServerLength      = 256     // nvarchar(256) server names
	MaxCommandBytes      = 2 << 20 // DATALENGTH of the nvarchar(max) command
	maxSeconds           = math.MaxInt32 / 1000
)

// names indexes declared objects of one kind by their lower-case name.
type names map[string][]*document

// check runs the semantic checks over the loaded documents: invalid documents still declare their
// names, so references to them are not reported twice.
func check(set *Set, docs []*document, ds *Diagnostics) {
	declared := map[string]names{}
	var agents []*document
	for _, d := range docs {
		if d.kind == "" || d.name == "" {
			continue
		}
		if declared[d.kind] == nil {
			declared[d.kind] = names{}
		}
		key := strings.ToLower(d.name)
		if prev := declared[d.kind][key]; len(prev) > 0 {
			ds.Add(d.namePos, Error, CodeDuplicateName, "duplicate %s name %q; %q is declared at %s", d.kind, d.name, prev[0].name, prev[0].namePos)
		}
		declared[d.kind][key] = append(declared[d.kind][key], d)
		if d.kind == "Agent" {
			agents = append(agents, d)
		}
		if n := sqlLength(d.name); n > MaxNameLength {
			ds.Add(d.namePos, Error, CodeNameLength, "metadata.name is %d characters as SQL Server counts them (UTF-16 code units); the job database allows %d", n, MaxNameLength)
		}
	}
	for _, a := range agents[min(1, len(agents)):] {
		ds.Add(a.pos, Error, CodeAgents, "more than one Agent: %q is also declared at %s", agents[0].name, agents[0].pos)
	}
	c := &checker{set: set, ds: ds, declared: declared, mi: set.Agent != nil && set.Agent.Authentication == AuthManagedIdentity, hints: maxHintComparisons}
	for _, cr := range set.Credentials {
		c.length(&cr.Meta, "spec.identity", cr.Identity, MaxNameLength)
	}
	for _, g := range set.TargetGroups {
		c.targetGroup(g)
	}
	for _, j := range set.Jobs {
		c.job(j)
	}
}

type checker struct {
	set      *Set
	ds       *Diagnostics
	declared map[string]names
	mi       bool                // the agent authenticates with a managed identity
	sorted   map[string][]string // declared names by kind, sorted, for hints
	hints    int                 // names hints may still compare
}

// maxHintComparisons bounds the names compared for "did you mean" hints in one run: each
// undeclared reference is compared with every declared name of its kind, which thousands of
// undeclared references to thousands of names would make quadratic.
const maxHintComparisons = 1_000_000

func (c *checker) length(m *Meta, path, value string, limit int) {
	if n := sqlLength(value); n > limit {
		code := CodeTextLength
		if strings.HasSuffix(path, "name") {
			code = CodeNameLength
		}
		c.ds.Add(m.FieldPos(path), Error, code, "%s is %d characters as SQL Server counts them (UTF-16 code units); the job database allows %d", path, n, limit)
	}
}

// hint returns "; did you mean "x"?" for the declared name of kind closest to an undeclared name,
// or "" when none is close.
func (c *checker) hint(kind, name string) string {
	if c.hints < len(c.declared[kind]) {
		return ""
	}
	c.hints -= len(c.declared[kind])
	declared, ok := c.sorted[kind]
	if !ok {
		for _, ds := range c.declared[kind] {
			declared = append(declared, ds[0].name)
		}
		sort.Strings(declared)
		if c.sorted == nil {
			c.sorted = map[string][]string{}
		}
		c.sorted[kind] = declared
	}
	if near, ok := closest(name, declared); ok {
		return fmt.Sprintf("; did you mean %q?", near)
	}
	return ""
}

// sqlLength returns the length of s as SQL Server counts nvarchar characters: UTF-16 code units, so
// a character outside the Basic Multilingual Plane, such as an emoji, counts twice.
func sqlLength(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// credential checks a reference to a Credential at path.
func (c *checker) credential(m *Meta, path, name string) {
	if name == "" {
		return
	}
	pos := m.FieldPos(path)
	if c.declared["Credential"][strings.ToLower(name)] == nil {
		c.ds.Add(pos, Error, CodeNoCredential, "%s: credential %q is not declared by any Credential spec%s", path, name, c.hint("Credential", name))
	}
	if c.mi {
		c.ds.Add(pos, Warning, CodeIgnoredCred, "%s: the agent uses ManagedIdentity and ignores credential %q", path, name)
	}
}

func (c *checker) targetGroup(g *TargetGroup) {
	seen := map[[4]string]int{}
	for i, m := range g.Members {
		path := "spec.members[" + strconv.Itoa(i) + "]"
		c.length(&g.Meta, path+".server", m.Server, MaxServerLength)
		c.length(&g.Meta, path+".database", m.Database, MaxNameLength)
		c.length(&g.Meta, path+".elasticPool", m.ElasticPool, MaxNameLength)
		switch {
		case m.Database != "" && m.ElasticPool != "":
			c.ds.Add(m.Pos, Error, CodeMemberType, "%s: a member is a database or an elastic pool, not both", path)
		case m.Type() == MemberDatabase && m.RefreshCredential != "":
			c.ds.Add(g.FieldPos(path+".refreshCredential"), Error, CodeMemberType, "%s: a database member takes no refreshCredential (only servers and elastic pools are enumerated)", path)
		case m.Type() != MemberDatabase && m.RefreshCredential == "" && !c.mi:
			c.ds.Add(m.Pos, Error, CodeRefreshCred, "%s: %s member %s needs refreshCredential to enumerate its databases (or an Agent with authentication: ManagedIdentity)", path, m.Type(), m.Server)
		}
		if m.Type() != MemberDatabase {
			c.credential(&g.Meta, path+".refreshCredential", m.RefreshCredential)
		}
		key := [4]string{strings.ToLower(m.Server), strings.ToLower(m.Database), strings.ToLower(m.ElasticPool), strings.ToLower(m.RefreshCredential)}
		if first, dup := seen[key]; dup {
			c.ds.Add(m.Pos, Error, CodeDuplicateMem, "%s: the same member as spec.members[%d]", path, first)
		} else {
			seen[key] = i
		}
	}
}

func (c *checker) job(j *Job) {
	c.length(&j.Meta, "spec.description", j.Description, MaxDescriptionLength)
	if s := j.Schedule; s != nil {
		if !s.End.IsZero() && s.Start.After(s.End) {
			c.ds.Add(j.FieldPos("spec.schedule.end"), Error, CodeWindow, "spec.schedule: start %s is after end %s", s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339))
		}
		if !j.Enabled {
			c.ds.Add(j.FieldPos("spec.schedule"), Warning, CodeNeverFires, "spec.schedule: the job is not enabled, so the schedule never fires; add enabled: true")
		}
		c.localSchedule(j)
	}
	steps := map[string]int{}
	for i, s := range j.Steps {
		path := "spec.steps[" + strconv.Itoa(i) + "]"
		c.length(&j.Meta, path+".name", s.Name, MaxNameLength)
		if first, dup := steps[strings.ToLower(s.Name)]; dup {
			c.ds.Add(j.FieldPos(path+".name"), Error, CodeDuplicateStep, "%s: step name %q is also used by spec.steps[%d]", path, s.Name, first)
		} else {
			steps[strings.ToLower(s.Name)] = i
		}
		if s.TargetGroup != "" && c.declared["TargetGroup"][strings.ToLower(s.TargetGroup)] == nil {
			c.ds.Add(j.FieldPos(path+".targetGroup"), Error, CodeNoTargetGroup, "%s.targetGroup: target group %q is not declared by any TargetGroup spec%s", path, s.TargetGroup, c.hint("TargetGroup", s.TargetGroup))
		}
		c.credential(&j.Meta, path+".credential", s.Credential)
		if s.Credential == "" && !c.mi {
			c.ds.Add(s.Pos, Error, CodeStepCred, "%s: step %q has no credential; the agent uses database scoped credentials (declare an Agent with authentication: ManagedIdentity to omit it)", path, s.Name)
		}
		if n := sqlLength(s.Command) * 2; n > MaxCommandBytes {
			pos := j.FieldPos(path + ".command")
			if s.CommandFile != "" {
				pos = j.FieldPos(path + ".commandFile")
			}
			c.ds.Add(pos, Error, CodeCommandSize, "%s: command is %d bytes as nvarchar; the job database allows %d (2 MiB)", path, n, MaxCommandBytes)
		}
		c.timing(j, path, s)
		if o := s.Output; o != nil {
			c.length(&j.Meta, path+".output.server", o.Server, MaxServerLength)
			for _, f := range []struct{ k, v string }{{"database", o.Database}, {"schema", o.Schema}, {"table", o.Table}} {
				c.length(&j.Meta, path+".output."+f.k, f.v, MaxNameLength)
			}
			c.credential(&j.Meta, path+".output.credential", o.Credential)
			if o.Credential == "" && !c.mi {
				c.ds.Add(j.FieldPos(path+".output"), Error, CodeStepCred, "%s.output: no credential; the agent uses database scoped credentials (declare an Agent with authentication: ManagedIdentity to omit it)", path)
			}
		}
	}
}

// timing checks a step's timeout and retry policy against the job database's CHECK constraints.
func (c *checker) timing(j *Job, path string, s *Step) {
	seconds := func(field string, d time.Duration, code string, min int64) bool {
		p := path + "." + field
		switch {
		case d%time.Second != 0:
			c.ds.Add(j.FieldPos(p), Error, code, "%s: %s is not a whole number of seconds", p, d)
		case int64(d/time.Second) < min:
			c.ds.Add(j.FieldPos(p), Error, code, "%s: must be at least %ds", p, min)
		case int64(d/time.Second) > maxSeconds:
			c.ds.Add(j.FieldPos(p), Error, code, "%s: %s is more than %ds, which the job database cannot store in int milliseconds", p, FormatDuration(d), maxSeconds)
		default:
			return true
		}
		return false
	}
	seconds("timeout", s.Timeout, CodeTimeout, 1)
	r := s.Retry
	okInit := seconds("retry.initialInterval", r.InitialInterval, CodeRetry, 0)
	okMax := seconds("retry.maxInterval", r.MaxInterval, CodeRetry, 0)
	if okInit && okMax && r.InitialInterval > r.MaxInterval {
		c.ds.Add(j.FieldPos(path+".retry"), Error, CodeRetry, "%s.retry: initialInterval %s is greater than maxInterval %s", path, FormatDuration(r.InitialInterval), FormatDuration(r.MaxInterval))
	}
	switch m := r.BackoffMultiplier; {
	case m < 1 || math.IsNaN(m):
		c.ds.Add(j.FieldPos(path+".retry.backoffMultiplier"), Error, CodeRetry, "%s.retry.backoffMultiplier: %g must be at least 1", path, m)
	case m > math.MaxFloat32:
		c.ds.Add(j.FieldPos(path+".retry.backoffMultiplier"), Error, CodeRetry, "%s.retry.backoffMultiplier: %g does not fit the job database's real (float32), whose largest value is %g", path, m, float32(math.MaxFloat32))
	}
}
