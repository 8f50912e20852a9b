package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// exportedState is a job database with every kind of object, a target group with no members and a
// job with no steps among them: all legal in the job database.
func exportedState() *jobdb.State {
	tenants := []jobdb.Member{
		{TargetID: "1", Membership: "Include", Type: spec.MemberServer, Server: "s1.database.windows.net", RefreshCredential: "job-cred"},
		{TargetID: "2", Membership: "Include", Type: spec.MemberPool, Server: "s2.database.windows.net", ElasticPool: "pool", RefreshCredential: "job-cred"},
		{TargetID: "3", Membership: "Exclude", Type: spec.MemberDatabase, Server: "s1.database.windows.net", Database: "master"},
	}
	nightly := applied(job("nightly", step("stats", "EXEC sp_updatestats;\n"), step("sizes", "SELECT 1;")))
	nightly.Enabled, nightly.IntervalType, nightly.IntervalCount = true, "Days", 1
	nightly.Start = time.Date(2099, 1, 1, 2, 0, 0, 0, time.UTC)
	nightly.Steps[0].Credential, nightly.Steps[0].TargetGroup, nightly.Steps[0].MaxParallelism = "job-cred", "tenants", 4
	nightly.Steps[1].Credential, nightly.Steps[1].TargetGroup, nightly.Steps[1].RetryAttempts = "job-cred", "tenants", 3
	nightly.Steps[1].Output = &jobdb.Output{Server: "out.database.windows.net", Database: "results", Schema: "dbo", Table: "sizes", Credential: "job-cred"}
	return &jobdb.State{
		Credentials:  []jobdb.Credential{{Name: "job-cred", Identity: "jobuser"}},
		TargetGroups: []jobdb.TargetGroup{{Name: "empty"}, {Name: "tenants", Members: tenants}},
		Jobs:         []jobdb.Job{applied(job("idle")), nightly},
	}
}

// TestExportRoundTrips: the specs export writes load without a single diagnostic, and planning
// them against the job database they came from changes nothing.
func TestExportRoundTrips(t *testing.T) {
	live := exportedState()
	dir := t.TempDir()
	files := Export(live)
	for _, p := range SortedPaths(files) {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, files[p], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(string(files["jobs/idle.yaml"]), "steps: []") || !strings.Contains(string(files["target-groups.yaml"]), "members: []") {
		t.Fatalf("the job with no steps or the group with no members is not exported as such:\n%s\n%s", files["jobs/idle.yaml"], files["target-groups.yaml"])
	}
	set, ds := spec.Load(dir)
	if len(ds) > 0 {
		t.Fatalf("the export does not load quietly:\n%v", ds)
	}
	p := diff(t, FromSpec(set), live, false)
	if !p.Empty() || len(p.Adopt) != 5 {
		t.Fatalf("plan on the export: changes %+v, adopt %v", p.Changes, p.Adopt)
	}
}
