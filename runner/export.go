package runner

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// Export writes specs for everything the live job database holds, as files keyed by slash-separated
// relative path: credentials.yaml, target-groups.yaml, and jobs/NAME.yaml with each step's T-SQL in
// jobs/NAME/STEP.sql. Secrets become secretFrom placeholders the user fills. A job with no steps and
// a target group with no members, legal in the job database, are written with an empty list. plan on
// the result shows no changes.
func Export(live *jobdb.State) map[string][]byte { return ExportAt(live, time.Now()) }

// ExportAt is Export with the schedules in local time checked at now: a job applied with one
// (ejops.job_schedules) gets it back when its UTC schedule is what that one compiles to at now;
// otherwise, edited in the job database since, its UTC schedule is written with a comment saying so.
func ExportAt(live *jobdb.State, now time.Time) map[string][]byte {
	files := map[string][]byte{}
	managedIdentity := false
	var docs []*yaml.Node
	envs := map[string]bool{}
	for _, c := range live.Credentials {
		docs = append(docs, document("Credential", c.Name, mapping(
			"identity", scalar(c.Identity),
			"secretFrom", mapping("env", scalar(uniqueName(envs, secretEnv(c.Name), "_"))))))
	}
	if len(docs) > 0 {
		files["credentials.yaml"] = encodeDocs(docs)
	}
	docs = nil
	for _, g := range live.TargetGroups {
		members := seq()
		for _, m := range g.Members {
			item := mapping("server", scalar(m.Server))
			switch m.Type {
			case spec.MemberDatabase:
				add(item, "database", scalar(m.Database))
			case spec.MemberPool:
				add(item, "elasticPool", scalar(m.ElasticPool))
			}
			if m.RefreshCredential != "" {
				add(item, "refreshCredential", scalar(m.RefreshCredential))
			} else if m.Type != spec.MemberDatabase {
				managedIdentity = true
			}
			if m.Membership == "Exclude" {
				add(item, "membership", scalar("Exclude"))
			}
			members.Content = append(members.Content, item)
		}
		docs = append(docs, document("TargetGroup", g.Name, mapping("members", members)))
	}
	if len(docs) > 0 {
		files["target-groups.yaml"] = encodeDocs(docs)
	}
	used := map[string]bool{}
	for _, j := range live.Jobs {
		base := uniqueName(used, fileName(j.Name), "-")
		body := mapping()
		if j.Description != "" {
			add(body, "description", scalar(j.Description))
		}
		if j.Enabled {
			add(body, "enabled", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		}
		if j.IntervalType != "Once" || !j.Start.Equal(ScheduleMinStart) || !j.End.Equal(ScheduleMaxEnd) {
			every := "once"
			if j.IntervalType != "Once" {
				every = spec.FormatInterval(j.IntervalType, j.IntervalCount)
			}
			addSchedule(body, live, j, every, now)
		}
		steps := seq()
		stepFiles := map[string]bool{}
		for _, s := range j.Steps {
			sqlFile := path.Join(base, uniqueName(stepFiles, fileName(s.Name), "-")+".sql")
			files[path.Join("jobs", sqlFile)] = []byte(s.Command)
			item := mapping("name", scalar(s.Name), "targetGroup", scalar(s.TargetGroup))
			if s.Credential != "" {
				add(item, "credential", scalar(s.Credential))
			} else {
				managedIdentity = true
			}
			add(item, "commandFile", scalar(sqlFile))
			if s.TimeoutSecs != int(spec.DefaultTimeout/time.Second) {
				add(item, "timeout", scalar(spec.FormatDuration(time.Duration(s.TimeoutSecs)*time.Second)))
			}
			if retry := exportRetry(s); retry != nil {
				add(item, "retry", retry)
			}
			if s.MaxParallelism > 0 {
				add(item, "maxParallelism", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(s.MaxParallelism)})
			}
			if o := s.Output; o != nil {
				out := mapping("server", scalar(o.Server), "database", scalar(o.Database))
				if !strings.EqualFold(o.Schema, spec.DefaultOutputSchema) {
					add(out, "schema", scalar(o.Schema))
				}
				add(out, "table", scalar(o.Table))
				if o.Credential != "" {
					add(out, "credential", scalar(o.Credential))
				}
				add(item, "output", out)
			}
			steps.Content = append(steps.Content, item)
		}
		add(body, "steps", steps)
		files[path.Join("jobs", base+".yaml")] = encodeDocs([]*yaml.Node{document("Job", j.Name, body)})
	}
	if managedIdentity {
		files["agent.yaml"] = encodeDocs([]*yaml.Node{document("Agent", "agent", mapping("authentication", scalar(spec.AuthManagedIdentity)))})
	}
	return files
}

// addSchedule writes a job's schedule into body: in local time when it was applied so and is
// unchanged since, in UTC otherwise, with a comment when it was applied in local time.
func addSchedule(body *yaml.Node, live *jobdb.State, j jobdb.Job, every string, now time.Time) {
	row, ok := liveLocal(live, "", j, now)
	if !ok {
		sched := mapping("every", scalar(every), "start", scalar(j.Start.UTC().Format(time.RFC3339)))
		if !j.End.Equal(ScheduleMaxEnd) {
			add(sched, "end", scalar(j.End.UTC().Format(time.RFC3339)))
		}
		add(body, "schedule", sched)
		if row != nil {
			body.Content[len(body.Content)-2].HeadComment = fmt.Sprintf(
				"Applied as every %s at %s %s, then edited in the job database: written in UTC.", every, row.At, row.TimeZone)
		}
		return
	}
	loc, _ := spec.LoadZone(row.TimeZone) // liveLocal compiled the schedule in it
	at := scalar(row.At)
	at.Style = yaml.DoubleQuotedStyle // "08:00", as the README writes it: YAML 1.1 reads 08:00 as a number
	sched := mapping("every", scalar(every), "at", at, "timeZone", scalar(row.TimeZone))
	if !row.Start.IsZero() {
		add(sched, "start", scalar(row.Start.In(loc).Format(time.RFC3339)))
	}
	if !j.End.Equal(ScheduleMaxEnd) {
		add(sched, "end", scalar(j.End.In(loc).Format(time.RFC3339)))
	}
	add(body, "schedule", sched)
}

func exportRetry(s jobdb.Step) *yaml.Node {
	r := mapping()
	if s.RetryAttempts != spec.DefaultRetryAttempts {
		add(r, "attempts", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(s.RetryAttempts)})
	}
	if s.InitialRetrySecs != int(spec.DefaultInitialInterval/time.Second) {
		add(r, "initialInterval", scalar(spec.FormatDuration(time.Duration(s.InitialRetrySecs)*time.Second)))
	}
	if s.MaxRetrySecs != int(spec.DefaultMaxInterval/time.Second) {
		add(r, "maxInterval", scalar(spec.FormatDuration(time.Duration(s.MaxRetrySecs)*time.Second)))
	}
	if float32(s.BackoffMultiplier) != float32(spec.DefaultBackoffMultiplier) {
		add(r, "backoffMultiplier", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: fmt.Sprint(float32(s.BackoffMultiplier))})
	}
	if len(r.Content) == 0 {
		return nil
	}
	return r
}

// secretEnv is the placeholder environment variable of a credential's secret.
func secretEnv(name string) string {
	var b strings.Builder
	b.WriteString("EJOPS_SECRET_")
	for _, r := range strings.ToUpper(name) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// fileName turns an object name into a portable file name.
func fileName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), ".")
	if s == "" {
		s = "unnamed"
	}
	return s
}

// uniqueName returns base, or base<sep>2, base<sep>3… when a name that differs only in case is
// taken.
func uniqueName(used map[string]bool, base, sep string) string {
	name := base
	for i := 2; used[strings.ToLower(name)]; i++ {
		name = fmt.Sprintf("%s%s%d", base, sep, i)
	}
	used[strings.ToLower(name)] = true
	return name
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func seq() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode} }

func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		add(m, kv[i].(string), kv[i+1].(*yaml.Node))
	}
	return m
}

func add(m *yaml.Node, k string, v *yaml.Node) {
	m.Content = append(m.Content, scalar(k), v)
}

func document(kind, name string, body *yaml.Node) *yaml.Node {
	return mapping("apiVersion", scalar("ejops/v1"), "kind", scalar(kind),
		"metadata", mapping("name", scalar(name)), "spec", body)
}

func encodeDocs(docs []*yaml.Node) []byte {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, d := range docs {
		_ = enc.Encode(d)
	}
	_ = enc.Close()
	return []byte(b.String())
}

// SortedPaths returns the keys of files in order.
func SortedPaths(files map[string][]byte) []string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}
