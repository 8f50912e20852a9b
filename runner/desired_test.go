package runner

import (
	"testing"
	"time"

	"github.com/ejops/ejops/spec"
)

// sampleDesired holds every kind of object: members of every type, an empty target group, a job
// with no steps, a scheduled job whose steps have every field set, one with an output table.
func sampleDesired() *Desired {
	return &Desired{
		Credentials: []DesiredCredential{{Name: "job-cred", Identity: "jobuser", SecretFrom: spec.SecretRef{Env: "JOB_CRED"}}},
		TargetGroups: []DesiredTargetGroup{
			{Name: "empty", Members: []DesiredMember{}},
			{Name: "tenants", Members: []DesiredMember{
				{Membership: "Include", Type: "SqlServer", Server: "s1.database.windows.net", RefreshCredential: "job-cred"},
				{Membership: "Include", Type: "SqlElasticPool", Server: "s2.database.windows.net", ElasticPool: "pool", RefreshCredential: "job-cred"},
				{Membership: "Exclude", Type: "SqlDatabase", Server: "s1.database.windows.net", Database: "master"},
			}},
		},
		Jobs: []DesiredJob{
			{Name: "idle", IntervalType: "Once", IntervalCount: 1, Start: ScheduleMinStart, End: ScheduleMaxEnd, Steps: []DesiredStep{}},
			{Name: "nightly", Description: "stats <&> \"q\"", Enabled: true, IntervalType: "Days", IntervalCount: 1,
				Start: time.Date(2099, 1, 1, 2, 0, 0, 0, time.UTC), End: time.Date(2100, 6, 30, 23, 59, 59, 0, time.UTC),
				Steps: []DesiredStep{
					{Name: "stats", Command: "EXEC sp_updatestats;\n", Credential: "job-cred", TargetGroup: "tenants", InitialRetrySecs: 5,
						MaxRetrySecs: 120, BackoffMultiplier: 1.5, RetryAttempts: 3, TimeoutSecs: 7200, MaxParallelism: 4,
						Output: &DesiredOutput{Server: "out.database.windows.net", Database: "results", Schema: "dbo", Table: "sizes", Credential: "job-cred"}},
					{Name: "plain", Command: "SELECT 1;", TargetGroup: "tenants", InitialRetrySecs: 1, MaxRetrySecs: 120,
						BackoffMultiplier: 2, RetryAttempts: 10, TimeoutSecs: 43200},
				}},
		},
	}
}

// TestSpecHashIsStable pins the spec hashes the inventory records. A change here makes every
// object applied before it look edited by hand, and a Once job the agent disabled after running
// it look like drift to re-enable: keep the encoding, or plan for that upgrade.
func TestSpecHashIsStable(t *testing.T) {
	d := sampleDesired()
	got := []string{specHash(d.Credentials[0])}
	for _, g := range d.TargetGroups {
		got = append(got, specHash(g))
	}
	for _, j := range d.Jobs {
		got = append(got, specHash(j))
	}
	want := []string{
		"6f74c7a6b445fc836262ce1e165ecc64", // credential job-cred: the secret's source does not count
		"41970b3c4cc2c8a2e05c6bb28b6b846b", // target group empty
		"e3c3842011e042f144ccf22cdd5fd5cb", // target group tenants
		"84981b9bd0529f8cf9299b3d6eb16231", // job idle
		"fa8f56e0d5911aba5422d7a8dd293afa", // job nightly
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("spec hash %d = %s, want %s", i, got[i], want[i])
		}
	}
	c := d.Credentials[0]
	c.SecretFrom, c.SecretPos = spec.SecretRef{File: "/run/secret"}, "x.yaml:1:1"
	if specHash(c) != want[0] {
		t.Error("the secret's source changed the credential's spec hash")
	}
}
