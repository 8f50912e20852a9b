package spec

import (
	"testing"
)

// A job name cannot contain the percent character: "The name must be unique and cannot contain
// the percent (%) character." ("jobs.sp_add_job (Azure Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-job-elastic-jobs-transact-sql).
// Validate reports it at the name, saying which character, so a plan never sends such a name;
// other kinds' names may hold %.
func TestJobNameWithPercent(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "specs.yaml", agentAndGroup+`apiVersion: ejops/v1
kind: TargetGroup
metadata: {name: "100% of tenants"}
spec: {members: [{server: s.database.windows.net}]}
---
apiVersion: ejops/v1
kind: Job
metadata:
  name: "ünï 100% done"
spec:
  steps:
    - {name: "50% step", targetGroup: "100% of tenants", command: "SELECT 1;"}
`)
	t.Chdir(dir)
	set, ds := Load(".")
	if len(ds) != 1 {
		t.Fatalf("diagnostics:\n%s", render(ds))
	}
	d := ds[0]
	if d.Code != CodeJobPercent || d.Severity != Error || d.Pos.Line != 19 || d.Pos.Col != 9 {
		t.Errorf("diagnostic = %s", d)
	}
	if want := `metadata.name: "ünï 100% done" contains the percent character (%) at character 8; the job database refuses % in job names`; d.Message != want {
		t.Errorf("message = %s\nwant      %s", d.Message, want)
	}
	if len(set.Jobs) != 0 || len(set.TargetGroups) != 2 {
		t.Errorf("jobs %d, target groups %d: the job is invalid, the group is not", len(set.Jobs), len(set.TargetGroups))
	}
}
