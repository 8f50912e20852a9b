package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner"
)

// ejopsEnv runs the CLI with the environment vars (and nothing else) and returns the exit code,
// stdout and stderr.
func ejopsEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, lookup: lookup,
		getenv: func(k string) string { return vars[k] }, readFile: runner.ReadSecretFile}
	code := run(e, args)
	return code, stdout.String(), stderr.String()
}

const databasesGroup = `apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: listed}
spec:
  members:
%s`

func listedGroup(dbs ...string) string {
	var b strings.Builder
	for _, d := range dbs {
		b.WriteString("    - {server: t1.database.windows.net, database: \"" + d + "\"}\n")
	}
	return strings.Replace(databasesGroup, "%s", b.String(), 1)
}

// TestTargetsRecordsResolutionsAndShowsChanges resolves a group of databases twice: the first
// resolution is recorded, the second shows what was added and removed since; a jobs_reader login
// gets the resolution with a notice that it was not recorded.
func TestTargetsRecordsResolutionsAndShowsChanges(t *testing.T) {
	j := serveJobDB(t, emulator.Options{Logins: []emulator.Login{{Name: "jobs_reader", Password: "reader-pw", Role: emulator.RoleReader}}})
	vars := map[string]string{"EJOPS_JOB_DB": j.dsn}
	dir := writeSpecs(t, map[string]string{"g.yaml": listedGroup("a", "b")})
	code, out, errOut := ejopsEnv(t, vars, "targets", "--specs", dir)
	if code != 0 || !strings.Contains(out, "target group listed: 2 databases in 1 server\n") ||
		!strings.Contains(out, "t1.database.windows.net/a\n") || !strings.Contains(out, "(first resolution recorded)") {
		t.Fatalf("first: exit %d\n%s%s", code, out, errOut)
	}
	dir = writeSpecs(t, map[string]string{"g.yaml": listedGroup("a", `c\e[31m`)})
	code, out, errOut = ejopsEnv(t, vars, "targets", "--specs", dir, "listed")
	if code != 0 || !strings.Contains(out, "since the last resolution: 1 added, 1 removed\n  + t1.database.windows.net/c\\x1b[31m\n  - t1.database.windows.net/b\n") {
		t.Fatalf("second: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "\x1b") {
		t.Error("a database name reached the terminal unescaped")
	}
	code, out, errOut = ejopsEnv(t, vars, "targets", "--specs", dir, "--format", "json")
	var doc struct {
		TargetGroups []struct {
			Name      string
			Databases []struct{ Server, Database string }
			Changes   struct{ Added, Removed []any }
		}
		Recorded bool
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("json: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if g := doc.TargetGroups[0]; !doc.Recorded || len(g.Databases) != 2 || len(g.Changes.Added)+len(g.Changes.Removed) != 0 {
		t.Errorf("json document: %+v", doc)
	}
	vars["EJOPS_JOB_DB"] = j.em.LoginDSN("jobs_reader", j.addr)
	dir = writeSpecs(t, map[string]string{"g.yaml": listedGroup("a")})
	code, out, errOut = ejopsEnv(t, vars, "targets", "--specs", dir)
	if code != 0 || !strings.Contains(out, "- t1.database.windows.net/c") || !strings.Contains(errOut, "notice: this resolution was not recorded") {
		t.Errorf("reader: exit %d\n%s%s", code, out, errOut)
	}
}

func TestTargetsUsageErrors(t *testing.T) {
	dir := writeSpecs(t, map[string]string{"g.yaml": tenants + "---\n" + miAgent + "---\n" + jobSpec("nightly", "one")})
	for _, c := range []struct {
		vars map[string]string
		args []string
		want string
	}{
		{map[string]string{"EJOPS_TARGET_MAP": "t1=127.0.0.1"}, []string{"targets", "--specs", dir}, `bad pair "t1=127.0.0.1"`},
		{nil, []string{"targets", "--parallel", "0", "--specs", dir}, "--parallel"},
		{nil, []string{"targets", "--target-timeout", "0s", "--specs", dir}, "--target-timeout"},
		{nil, []string{"targets", "--specs", dir, "--format", "xml"}, "--format"},
		{nil, []string{"targets", "--job-db", "embedded:" + t.TempDir() + "/s.json", "--specs", dir, "nope"}, `no target group "nope"`},
		{nil, []string{"targets", "--check", "--specs", dir, "nope"}, `no job "nope"`},
		{map[string]string{"EJOPS_TARGET_MAP": "t1=127.0.0.1:1,=x"}, []string{"plan", "--targets", "--job-db", "embedded:" + t.TempDir() + "/s.json", dir}, "EJOPS_TARGET_MAP"},
	} {
		code, _, errOut := ejopsEnv(t, c.vars, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 64 and %q in:\n%s", c.args, code, c.want, errOut)
		}
	}
}
