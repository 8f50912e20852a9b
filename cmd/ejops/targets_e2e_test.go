package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner/targets"
)

// targetsFleet is 3 servers, 2 pools and 40 databases: tenants-1 with 6 standalone databases and
// pool-a (12), tenants-2 with 8 standalone databases, reports and pool-b (10), and far, which
// never answers (3). a05 and t2-s03 lack the job user; reports holds a good output table and one
// without internal_execution_id.
func targetsFleet() string {
	var b strings.Builder
	dbs := func(indent, prefix string, n int, lacking map[int]bool) {
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "%s- name: %s%02d\n", indent, prefix, i)
			if lacking[i] {
				fmt.Fprintf(&b, "%s  logins: [someone_else]\n", indent)
			}
		}
	}
	b.WriteString("defaults: {duration: 10ms}\nauthentication: DatabaseScopedCredential\nservers:\n")
	b.WriteString("  - name: tenants-1.database.windows.net\n    databases:\n")
	dbs("      ", "t1-s", 6, nil)
	b.WriteString("    elasticPools:\n      - name: pool-a\n        databases:\n")
	dbs("          ", "a", 12, map[int]bool{5: true})
	b.WriteString("  - name: tenants-2.database.windows.net\n    databases:\n")
	dbs("      ", "t2-s", 8, map[int]bool{3: true})
	b.WriteString(`      - name: reports
        logins: [jobuser, refresher]
        tables:
          - name: dbo.sizes
            columns: [internal_execution_id, database_name, data_mb]
            indexes: [[internal_execution_id]]
          - name: dbo.no_id
            columns: [database_name, data_mb]
`)
	b.WriteString("    elasticPools:\n      - name: pool-b\n        databases:\n")
	dbs("          ", "b", 10, nil)
	b.WriteString("  - name: far.database.windows.net\n    unreachable: true\n    databases:\n")
	dbs("      ", "far-", 3, nil)
	return b.String()
}

const targetsSpecs = `apiVersion: ejops/v1
kind: Credential
metadata: {name: refresh}
spec: {identity: refresher, secretFrom: {env: EJ_REFRESH}}
---
apiVersion: ejops/v1
kind: Credential
metadata: {name: job}
spec: {identity: jobuser, secretFrom: {env: EJ_JOB}}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: servers}
spec:
  members:
    - {server: tenants-1.database.windows.net, refreshCredential: refresh}
    - {server: tenants-2, refreshCredential: refresh}
    - {server: tenants-2.database.windows.net, database: reports, membership: Exclude}
    - {server: tenants-1.database.windows.net, elasticPool: pool-a, refreshCredential: refresh, membership: Exclude}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: pools}
spec:
  members:
    - {server: tenants-1.database.windows.net, elasticPool: pool-a, refreshCredential: refresh}
    - {server: tenants-2.database.windows.net, elasticPool: POOL-B, refreshCredential: refresh}
    - {server: tenants-2.database.windows.net, database: b03, membership: Exclude}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: mixed}
spec:
  members:
    - {server: tenants-1.database.windows.net, database: t1-s01}
    - {server: tenants-2.database.windows.net, database: t2-s03}
    - {server: tenants-2.database.windows.net, elasticPool: pool-b, refreshCredential: refresh}
    - {server: tenants-2.database.windows.net, refreshCredential: refresh, membership: Exclude}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: far}
spec:
  members:
    - {server: far.database.windows.net, database: far-01}
    - {server: tenants-1.database.windows.net, database: t1-s02}
---
apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: far-server}
spec:
  members:
    - {server: far.database.windows.net, refreshCredential: refresh}
    - {server: tenants-1.database.windows.net, database: t1-s02}
`

// targetsJob is a job of one step over group as the job credential, with an output table when
// table is not empty.
func targetsJob(name, group, table string) string {
	s := fmt.Sprintf("---\napiVersion: ejops/v1\nkind: Job\nmetadata: {name: %s}\nspec:\n  steps:\n    - name: s1\n      targetGroup: %s\n      credential: job\n      command: SELECT 1;\n      retry: {attempts: 0}\n", name, group)
	if table != "" {
		s += fmt.Sprintf("      output: {server: tenants-2.database.windows.net, database: reports, table: %s, credential: job}\n", table)
	}
	return s
}

// fleetEnv serves an emulator whose agent runs over targetsFleet with its servers served, and
// returns the environment of commands run against it (job database, address map, secrets).
func fleetEnv(t *testing.T) (*jobDB, map[string]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(targetsFleet()), 0o644); err != nil {
		t.Fatal(err)
	}
	j := serveJobDB(t, emulator.Options{User: "ejops", Password: "fleet-pw", Fleet: path, ServeTargets: true, Logger: slog.New(slog.DiscardHandler)})
	j.exec(t, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Master-Key-1'")
	return j, map[string]string{"EJOPS_JOB_DB": j.dsn, targets.MapEnv: j.em.TargetMap(), "EJ_REFRESH": "refresh-Sentinel-1", "EJ_JOB": "job-Sentinel-2"}
}

func writeTargetSpecs(t *testing.T, jobs ...string) string {
	return writeSpecs(t, map[string]string{"specs.yaml": targetsSpecs + strings.Join(jobs, "")})
}

// resolvedByTargets returns the databases targets resolves each group to, as server-key/name.
func resolvedByTargets(t *testing.T, vars map[string]string, dir string, groups ...string) map[string][]string {
	t.Helper()
	code, out, errOut := ejopsEnv(t, vars, append([]string{"targets", "--format", "json", "--specs", dir}, groups...)...)
	if code != 0 {
		t.Fatalf("targets: exit %d\n%s%s", code, out, errOut)
	}
	var doc struct {
		TargetGroups []struct {
			Name      string
			Databases []struct{ Server, Database string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, g := range doc.TargetGroups {
		got[g.Name] = []string{}
		for _, d := range g.Databases {
			got[g.Name] = append(got[g.Name], targets.ServerKey(d.Server)+"/"+strings.ToLower(d.Database))
		}
		sort.Strings(got[g.Name])
	}
	return got
}

// TestTargetsMatchTheAgentsExpansion resolves each group with targets and runs a job over it:
// the databases the agent simulation expanded the job to are the ones targets resolved.
func TestTargetsMatchTheAgentsExpansion(t *testing.T) {
	_, vars := fleetEnv(t)
	dir := writeTargetSpecs(t, targetsJob("on-servers", "servers", ""), targetsJob("on-pools", "pools", ""), targetsJob("on-mixed", "mixed", ""))
	if code, out, errOut := ejopsEnv(t, vars, "apply", "--yes", dir); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	resolved := resolvedByTargets(t, vars, dir, "servers", "pools", "mixed")
	sizes := map[string]int{"servers": 24, "pools": 21, "mixed": 1}
	for group, job := range map[string]string{"servers": "on-servers", "pools": "on-pools", "mixed": "on-mixed"} {
		_, out, errOut := ejopsEnv(t, vars, "run", "--wait", "--timeout", "60s", "--format", "json", job)
		var doc struct {
			Steps []struct {
				Targets []struct{ Type, Server, Database string }
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Steps) != 1 {
			t.Fatalf("run %s: %v\n%s%s", job, err, out, errOut)
		}
		ran := []string{}
		for _, tg := range doc.Steps[0].Targets {
			if tg.Type == "SqlDatabase" {
				ran = append(ran, targets.ServerKey(tg.Server)+"/"+strings.ToLower(tg.Database))
			}
		}
		sort.Strings(ran)
		if diff := cmp.Diff(ran, resolved[group]); diff != "" {
			t.Errorf("group %s: the agent ran on (-) and targets resolved (+):\n%s", group, diff)
		}
		if len(ran) != sizes[group] {
			t.Errorf("group %s: %d databases, want %d", group, len(ran), sizes[group])
		}
	}
}

// TestTargetsCheckFindsTheFailingDatabases: --check reports exactly the databases that lack the
// job user, the database of a server that never answers, and the output table without
// internal_execution_id; no secret shows.
func TestTargetsCheckFindsTheFailingDatabases(t *testing.T) {
	_, vars := fleetEnv(t)
	dir := writeTargetSpecs(t, targetsJob("on-servers", "servers", "sizes"), targetsJob("on-pools", "pools", ""),
		targetsJob("on-mixed", "mixed", ""), targetsJob("on-far", "far", ""), targetsJob("bad-output", "mixed", "no_id"))
	code, out, errOut := ejopsEnv(t, vars, "targets", "--check", "--target-timeout", "1s", "--format", "json", "--specs", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	var doc struct {
		Jobs []targets.JobCheck
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	databases := map[string]int{}
	for _, c := range doc.Jobs {
		databases[c.Job] = c.Databases
		for _, f := range c.Failures {
			got = append(got, fmt.Sprintf("%s %s/%s output=%v %s", c.Job, targets.ServerKey(f.Server), f.Database, f.Output, f.Stage))
		}
		if len(c.NotChecked)+len(c.Unresolved) > 0 {
			t.Errorf("job %s: not checked %v, unresolved %v", c.Job, c.NotChecked, c.Unresolved)
		}
	}
	sort.Strings(got)
	want := []string{
		"bad-output tenants-2/reports output=true output",
		"on-far far/far-01 output=false reachable",
		"on-pools tenants-1/a05 output=false login",
		"on-servers tenants-2/t2-s03 output=false login",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"on-servers": 24, "on-pools": 21, "on-mixed": 1, "on-far": 2, "bad-output": 1}, databases); diff != "" {
		t.Errorf("databases per job (-want +got):\n%s", diff)
	}
	_, text, _ := ejopsEnv(t, vars, "targets", "--check", "--target-timeout", "1s", "--specs", dir)
	for _, w := range []string{
		"job on-pools: 21 databases, 1 failure\n  ✗ step s1 tenants-1.database.windows.net/a05: login: user missing or wrong password: Msg 18456: Login failed for user 'jobuser'.",
		"job on-far: 2 databases, 1 failure\n  ✗ step s1 far.database.windows.net/far-01: reachable: no answer within 1s",
		"step s1 output tenants-2.database.windows.net/reports: output: table [dbo].[no_id] has no internal_execution_id column",
		"job on-mixed: 1 database, all reachable",
		"Check: 5 jobs, 49 databases; 4 jobs would fail, with 4 failures.",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(out+text+errOut, "Sentinel") {
		t.Error("a secret was printed")
	}
}

// TestTargetsUnreachableServerFailsItsMemberOnly: a server member of a server that never answers
// cannot be enumerated (exit 1); the group's other member still resolves.
func TestTargetsUnreachableServerFailsItsMemberOnly(t *testing.T) {
	_, vars := fleetEnv(t)
	dir := writeTargetSpecs(t)
	code, out, errOut := ejopsEnv(t, vars, "targets", "--target-timeout", "500ms", "--specs", dir, "far-server")
	if code != 1 || !strings.Contains(out, "target group far-server: 1 database in 1 server\n  tenants-1.database.windows.net/t1-s02\n  ! cannot enumerate Include SqlServer far.database.windows.net: reachable: no answer within 500ms") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestPlanTargetsShowsTheReach: plan --targets shows, per job it changes, the databases it
// reaches now, in text, Markdown and JSON.
func TestPlanTargetsShowsTheReach(t *testing.T) {
	_, vars := fleetEnv(t)
	dir := writeTargetSpecs(t, targetsJob("on-pools", "pools", ""), targetsJob("on-servers", "servers", ""))
	code, out, errOut := ejopsEnv(t, vars, "plan", "--targets", "--target-timeout", "300ms", dir)
	warning := "ejops: warning: cannot tell all the databases reached: target group far-server: Include SqlServer far.database.windows.net: reachable: no answer within 300ms\n"
	if strings.Count(errOut, warning) != 1 || !strings.Contains(out, "  + target group far-server\n      reaches 1 database in 1 server (or more: 1 member could not be enumerated)\n") {
		t.Errorf("a member that cannot be enumerated is a warning, once:\n%s%s", out, errOut)
	}
	if code != 0 || !strings.Contains(out, "  + job on-pools\n      reaches 21 databases in 2 servers and 2 pools\n") ||
		!strings.Contains(out, "  + job on-servers\n      reaches 24 databases in 2 servers and 1 pool\n") {
		t.Errorf("text: exit %d\n%s%s", code, out, errOut)
	}
	_, md, _ := ejopsEnv(t, vars, "plan", "--targets", "--target-timeout", "300ms", "--format", "markdown", dir)
	if !strings.Contains(md, "reaches 21 databases in 2 servers and 2 pools") {
		t.Errorf("markdown lacks the count:\n%s", md)
	}
	_, js, _ := ejopsEnv(t, vars, "plan", "--targets", "--target-timeout", "300ms", "--format", "json", dir)
	var doc struct {
		Changes []struct {
			Name  string
			Reach *struct {
				Databases []struct{ Server, Database string }
				Servers   int
			}
		}
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Changes {
		if c.Name == "on-pools" && (c.Reach == nil || len(c.Reach.Databases) != 21 || c.Reach.Servers != 2) {
			t.Errorf("JSON reach of on-pools: %+v", c.Reach)
		}
	}
	_, plain, _ := ejopsEnv(t, vars, "plan", dir)
	if strings.Contains(plain, "reaches") {
		t.Error("plan without --targets shows the reach")
	}
}
