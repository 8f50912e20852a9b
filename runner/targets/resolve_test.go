package targets

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/spec"
)

// fakeServers is a fleet in memory: server key → pool ("" standalone) → databases.
type fakeServers struct {
	mu      sync.Mutex
	fleet   map[string]map[string][]string
	users   map[string][]string // "server/database" → users; absent: every user
	lists   int
	asked   []string // servers as ListDatabases was given them
	checked []string
	outputs map[string]*Failure
}

func (f *fakeServers) ListDatabases(_ context.Context, server, pool string, login Login) ([]Listed, *Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	f.asked = append(f.asked, server)
	pools, ok := f.fleet[ServerKey(server)]
	if !ok {
		return nil, &Failure{Stage: StageReachable, Message: "server " + server + " not found"}
	}
	if login.Password != "s3cret" {
		return nil, &Failure{Stage: StageLogin, Message: "Login failed for user '" + login.User + "'."}
	}
	var out []Listed
	for p, dbs := range pools {
		if pool == "" || strings.EqualFold(p, pool) {
			for _, d := range dbs {
				out = append(out, Listed{Name: d, ElasticPool: p})
			}
		}
	}
	return out, nil
}

func (f *fakeServers) CheckDatabase(_ context.Context, server, database string, login Login) *Failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checked = append(f.checked, ServerKey(server)+"/"+database+" as "+login.User)
	users, ok := f.users[ServerKey(server)+"/"+database]
	if !ok {
		return nil
	}
	for _, u := range users {
		if u == login.User {
			return nil
		}
	}
	return &Failure{Stage: StageLogin, Message: "user missing"}
}

func (f *fakeServers) CheckOutput(_ context.Context, o runner.DesiredOutput, _ Login) *Failure {
	return f.outputs[o.Table]
}

func newFake() *fakeServers {
	return &fakeServers{fleet: map[string]map[string][]string{
		"tenants-1": {"": {"scratch", "t1"}, "pool-a": {"a1", "a2", "a3"}},
		"tenants-2": {"": {"t2"}, "pool-b": {"b1", "b2"}},
	}}
}

func desired(groups ...runner.DesiredTargetGroup) *runner.Desired {
	return &runner.Desired{
		Credentials: []runner.DesiredCredential{
			{Name: "refresh", Identity: "refresher", SecretFrom: spec.SecretRef{Env: "REFRESH"}},
			{Name: "job", Identity: "jobuser", SecretFrom: spec.SecretRef{Env: "JOB"}},
			{Name: "nosecret", Identity: "ghost", SecretFrom: spec.SecretRef{Env: "MISSING"}},
		},
		TargetGroups: groups,
	}
}

func resolver(d *runner.Desired, s Servers, mi bool) *Resolver {
	env := map[string]string{"REFRESH": "s3cret", "JOB": "s3cret"}
	secret := runner.ResolveSecret(func(k string) string { return env[k] }, nil)
	return &Resolver{Servers: s, Auth: NewAuth(d, secret, mi), Parallel: 4}
}

func names(ds []Database) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, ServerKey(d.Server)+"/"+d.Database)
	}
	return out
}

func member(membership, typ, server, pool, db, cred string) runner.DesiredMember {
	return runner.DesiredMember{Membership: membership, Type: typ, Server: server, ElasticPool: pool, Database: db, RefreshCredential: cred}
}

func TestResolveIncludeExclude(t *testing.T) {
	groups := []runner.DesiredTargetGroup{
		{Name: "servers", Members: []runner.DesiredMember{
			member("Include", "SqlServer", "tenants-1.database.windows.net", "", "", "refresh"),
			member("Include", "SqlServer", "Tenants-2", "", "", "refresh"),
			member("Exclude", "SqlDatabase", "tenants-1", "", "SCRATCH", ""),
			member("Exclude", "SqlElasticPool", "tenants-2.database.windows.net", "pool-b", "", "refresh"),
		}},
		{Name: "pool", Members: []runner.DesiredMember{
			member("Include", "SqlElasticPool", "tenants-1.database.windows.net", "POOL-A", "", "refresh"),
			member("Include", "SqlDatabase", "tenants-2.database.windows.net", "", "t2", ""),
			member("Include", "SqlDatabase", "tenants-2.database.windows.net", "", "T2", ""),
		}},
		{Name: "excluded-server", Members: []runner.DesiredMember{
			member("Include", "SqlDatabase", "tenants-1", "", "t1", ""),
			member("Include", "SqlDatabase", "tenants-2", "", "t2", ""),
			member("Exclude", "SqlServer", "TENANTS-1.database.windows.net", "", "", ""),
		}},
	}
	fake := newFake()
	got := resolver(desired(groups...), fake, false).Resolve(context.Background(), groups)
	want := [][]string{
		{"tenants-1/a1", "tenants-1/a2", "tenants-1/a3", "tenants-1/t1", "tenants-2/t2"},
		{"tenants-1/a1", "tenants-1/a2", "tenants-1/a3", "tenants-2/t2"},
		{"tenants-2/t2"},
	}
	for i, g := range got {
		if diff := cmp.Diff(want[i], names(g.Databases)); diff != "" || !g.Complete() {
			t.Errorf("group %s (-want +got):\n%s problems: %v", g.Name, diff, g.Problems)
		}
	}
	// tenants-1 as refresh (twice), tenants-2 as refresh, pool-b, pool-a: one listing each.
	if fake.lists != 4 {
		t.Errorf("%d listings, want 4 (one per server or pool and credential)", fake.lists)
	}
	// The pool is the one the server lists, for pool and server members alike.
	if p := got[1].Databases[0].ElasticPool; p != "pool-a" {
		t.Errorf("pool of a database found by a pool member = %q, want pool-a", p)
	}
	if p := got[0].Databases[0].ElasticPool; p != "pool-a" {
		t.Errorf("pool of a pooled database found by a server member = %q, want pool-a", p)
	}
}

func TestResolveProblemsPerMember(t *testing.T) {
	groups := []runner.DesiredTargetGroup{{Name: "g", Members: []runner.DesiredMember{
		member("Include", "SqlServer", "gone.database.windows.net", "", "", "refresh"),
		member("Include", "SqlServer", "tenants-2", "", "", "job-typo"),
		member("Include", "SqlElasticPool", "tenants-2", "pool-b", "", "nosecret"),
		member("Include", "SqlServer", "tenants-1", "", "", ""),
		member("Include", "SqlElasticPool", "tenants-1", "pool-a", "", "refresh"),
	}}}
	for _, mi := range []bool{false, true} {
		got := resolver(desired(groups...), newFake(), mi).Resolve(context.Background(), groups)[0]
		if diff := cmp.Diff([]string{"tenants-1/a1", "tenants-1/a2", "tenants-1/a3"}, names(got.Databases)); diff != "" {
			t.Errorf("mi=%v: the other members still resolve (-want +got):\n%s", mi, diff)
		}
		var lines []string
		for _, p := range got.Problems {
			lines = append(lines, p.String())
		}
		text := strings.Join(lines, "\n")
		for _, want := range []string{"gone.database.windows.net: reachable", "credential job-typo is not in the specs", "MISSING is not set"} {
			if !strings.Contains(text, want) {
				t.Errorf("mi=%v: problems lack %q:\n%s", mi, want, text)
			}
		}
		last := got.Problems[len(got.Problems)-1]
		if mi != (last.NotChecked == NotCheckedManagedIdentity) || !got.Failed() {
			t.Errorf("mi=%v: member without refresh credential: %+v", mi, last)
		}
		if strings.Contains(text, "s3cret") {
			t.Error("a problem shows a secret")
		}
	}
}

func TestCompare(t *testing.T) {
	db := func(s, n string) Database { return Database{Server: s, Database: n} }
	before := []Database{db("t1", "a"), db("t1", "b"), db("T2.database.windows.net", "c")}
	now := []Database{db("t2", "C"), db("t1", "d"), db("t1", "a")}
	added, removed := Compare(before, now)
	if diff := cmp.Diff([]string{"t1/d"}, names(added)); diff != "" {
		t.Errorf("added (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"t1/b"}, names(removed)); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	if a, r := Compare(nil, nil); a == nil || r == nil {
		t.Error("Compare returns empty lists, not nil, for JSON")
	}
}

func TestReachCountsServersAndPools(t *testing.T) {
	g1 := &Group{Name: "a", Databases: []Database{{Server: "t1", Database: "x", ElasticPool: "p"}, {Server: "t1", Database: "y"}}}
	g2 := &Group{Name: "b", Databases: []Database{{Server: "T1.database.windows.net", Database: "Y", ElasticPool: "P"}, {Server: "t2", Database: "z"}},
		Problems: []MemberProblem{{Member: Member{Membership: "Include", Type: "SqlServer", Server: "t3"}, Failure: &Failure{Stage: StageReachable, Message: "no answer"}}}}
	r := Reach([]*Group{g1, g2})
	if len(r.Databases) != 3 || r.Servers != 2 || r.Pools != 1 || len(r.Problems) != 1 {
		t.Errorf("Reach = %+v", r)
	}
	if !strings.Contains(r.Problems[0], "target group b: Include SqlServer t3: reachable: no answer") {
		t.Errorf("problem = %q", r.Problems[0])
	}
}

func TestCheck(t *testing.T) {
	groups := []runner.DesiredTargetGroup{{Name: "tenants", Members: []runner.DesiredMember{
		member("Include", "SqlServer", "tenants-1", "", "", "refresh"),
	}}}
	d := desired(groups...)
	fake := newFake()
	fake.users = map[string][]string{"tenants-1/a2": {"someone"}}
	fake.outputs = map[string]*Failure{"bad": {Stage: StageOutput, Message: "no internal_execution_id"}}
	out := &runner.DesiredOutput{Server: "reports", Database: "reports", Schema: "dbo", Table: "bad", Credential: "job"}
	d.Jobs = []runner.DesiredJob{
		{Name: "nightly", Steps: []runner.DesiredStep{
			{Name: "one", TargetGroup: "tenants", Credential: "job"},
			{Name: "two", TargetGroup: "TENANTS", Credential: "job", Output: out},
		}},
		{Name: "mi", Steps: []runner.DesiredStep{{Name: "s", TargetGroup: "tenants"}}},
		{Name: "nosecret", Steps: []runner.DesiredStep{{Name: "s", TargetGroup: "tenants", Credential: "nosecret"}}},
	}
	r := resolver(d, fake, true)
	res := r.Resolve(context.Background(), d.TargetGroups)
	checks := r.Check(context.Background(), d.Jobs, Index(res))
	var got []string
	for _, c := range checks {
		for _, f := range c.Failures {
			got = append(got, fmt.Sprintf("%s %s %s/%s output=%v %s", c.Job, f.Step, f.Server, f.Database, f.Output, f.Stage))
		}
		for _, n := range c.NotChecked {
			got = append(got, fmt.Sprintf("%s %s not checked: %s", c.Job, n.Step, n.Reason))
		}
	}
	want := []string{
		"nightly one tenants-1/a2 output=false login",
		"nightly two tenants-1/a2 output=false login",
		"nightly two reports/reports output=true output",
		"mi s not checked: " + NotCheckedManagedIdentity,
		"nosecret s / output=false credential",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("check (-want +got):\n%s", diff)
	}
	if checks[0].Databases != 5 || !checks[0].Failed() || checks[1].Failed() || !checks[2].Failed() {
		t.Errorf("checks = %+v", checks)
	}
	// Both steps of nightly connect as the same credential: each database once.
	if len(fake.checked) != 5 {
		t.Errorf("checked %d databases, want 5: %v", len(fake.checked), fake.checked)
	}
}

// A server is listed under the name its member gives, which is the name dialled when it is not
// mapped: "tenants-1.database.windows.net", not the key "tenants-1". Members whose refresh
// credential differs only in case share the listing.
func TestResolveDialsTheDeclaredName(t *testing.T) {
	groups := []runner.DesiredTargetGroup{{Name: "g", Members: []runner.DesiredMember{
		member("Include", "SqlServer", "Tenants-1.database.windows.net", "", "", "refresh"),
		member("Include", "SqlServer", "tenants-1.database.windows.net", "", "", "REFRESH"),
	}}}
	fake := newFake()
	resolver(desired(groups...), fake, false).Resolve(context.Background(), groups)
	if want := []string{"Tenants-1.database.windows.net"}; !slices.Equal(fake.asked, want) {
		t.Errorf("listed %q, want %q", fake.asked, want)
	}
}
