package agent

import (
	"reflect"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func TestSplitBatches(t *testing.T) {
	got := splitBatches("SELECT 1\nGO\n  go \r\n\nSELECT 2\nGOTO x\nGO\n")
	want := []string{"SELECT 1", "\nSELECT 2\nGOTO x"} // blank lines kept: error lines count from the GO
	if !reflect.DeepEqual(got, want) {
		t.Errorf("batches = %q, want %q", got, want)
	}
	if got := splitBatches("GO\n\nGO"); len(got) != 0 {
		t.Errorf("empty batches kept: %q", got)
	}
}

// "Create, configure, and manage elastic jobs", section "Data collection using built-in
// parameters", lists the scripting variables.
func TestSubstituteVariables(t *testing.T) {
	r := &run{id: sqlval.UUID{1}, jobID: sqlval.UUID{2}, jobName: "o'brien", version: 3,
		created: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)}
	s := &stepDef{StepID: 4, Name: "gather", GroupName: "g"}
	got := substitute("$(job_name) $(job_id) $(job_version) $(step_id) $(step_name) $(job_execution_id) $(job_execution_create_time) $(target_group_name) $(other)", r, s)
	want := "N'o''brien' N'" + r.jobID.String() + "' 3 4 N'gather' N'" + r.id.String() + "' N'2026-01-02T03:04:05.0000006' N'g' $(other)"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
