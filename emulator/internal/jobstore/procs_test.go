package jobstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func TestAddJobDefaults(t *testing.T) {
	s := openTest(t).NewSession()
	res := mustCall(t, s, "JOBS.SP_ADD_JOB", "job_name", "Nightly", "job_id out", nil)
	id, ok := res.Outputs["job_id"].(sqlval.UUID)
	if !ok || id == (sqlval.UUID{}) {
		t.Fatalf("job_id output = %#v", res.Outputs)
	}
	r := rel(t, s, "jobs.jobs")
	eq(t, r.Rows, [][]sqlval.Value{{"Nightly", id, int64(0), "", false, "Once", int64(1),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 11, 59, 59, 0, time.UTC)}})
	eq(t, len(rel(t, s, "jobs.job_versions").Rows), 0)
}

func TestAddJobAllParams(t *testing.T) {
	s := openTest(t).NewSession()
	mustCall(t, s, "jobs.sp_add_job", "job_name", "J", "description", "d", "enabled", int64(1),
		"schedule_interval_type", "minutes", "schedule_interval_count", "15",
		"schedule_start_time", "2025-01-01T00:00:00", "schedule_end_time", time.Date(2026, 1, 1, 3, 0, 0, 0, time.FixedZone("x", 3600)))
	got := rowsOf(t, rel(t, s, "jobs.jobs"), "job_name", "description", "enabled", "schedule_interval_type",
		"schedule_interval_count", "schedule_start_time", "schedule_end_time")
	// A datetimeoffset argument keeps its wall clock when converted to datetime2.
	eq(t, got, []string{"J|d|true|minutes|15|2025-01-01T00:00:00|2026-01-01T03:00:00"})
}

func TestAddJobErrors(t *testing.T) {
	cases := []struct {
		name string
		args []any
		num  int32
		msg  string
	}{
		{"missing name", []any{"description", "x"}, 201, "Procedure or function 'sp_add_job' expects parameter '@job_name', which was not supplied."},
		{"null name", []any{"job_name", nil}, 515, "Cannot insert the value NULL into column 'name', table 'jobdb.jobs_internal.jobs'; column does not allow nulls. INSERT fails."},
		{"null description", []any{"job_name", "A", "description", nil}, 515, "Cannot insert the value NULL into column 'description', table 'jobdb.jobs_internal.jobs'; column does not allow nulls. INSERT fails."},
		{"bad interval", []any{"job_name", "A", "schedule_interval_type", "Seconds"}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_job_schedule_interval_type\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobs\", column 'schedule_interval_type'."},
		{"zero count", []any{"job_name", "A", "schedule_interval_count", int64(0)}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_job_schedule_interval_count\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobs\", column 'schedule_interval_count'."},
		{"start after end", []any{"job_name", "A", "schedule_start_time", "2030-01-01", "schedule_end_time", "2020-01-01"}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_job_schedule_start_time_end_time_ordered\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobs\"."},
		{"duplicate", []any{"job_name", "existing "}, 2601, "Cannot insert duplicate key row in object 'jobs_internal.jobs' with unique index 'IX_jobs_name_delete_requested_time_is_system'. The duplicate key value is (existing , <NULL>, 0)."},
		{"unknown param", []any{"job_name", "A", "colour", "red"}, 8145, "@colour is not a parameter for procedure sp_add_job."},
		{"output on input", []any{"job_name out", "A"}, 8162, "The formal parameter \"@job_name\" was not declared as an OUTPUT parameter, but the actual parameter passed in requested output."},
		{"bad int", []any{"job_name", "A", "schedule_interval_count", "ten"}, 8114, "Error converting data type nvarchar to int."},
		{"int overflow", []any{"job_name", "A", "schedule_interval_count", int64(1) << 40}, 8115, "Arithmetic overflow error converting expression to data type int."},
		{"bad date", []any{"job_name", "A", "schedule_start_time", "yesterday"}, 8114, "Error converting data type nvarchar to datetime2."},
		{"date clash", []any{"job_name", "A", "schedule_start_time", int64(3)}, 206, "Operand type clash: int is incompatible with datetime2"},
		{"twice", []any{"job_name", "A", "JOB_NAME", "B"}, 8143, "Parameter '@job_name' was supplied multiple times."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t).NewSession()
			mustCall(t, s, "jobs.sp_add_job", "job_name", "Existing")
			wantErr(t, callErr(t, s, "jobs.sp_add_job", tc.args...), tc.num, tc.msg)
			eq(t, len(rel(t, s, "jobs.jobs").Rows), 1)
		})
	}
}

func TestPositionalBinding(t *testing.T) {
	s := openTest(t).NewSession()
	ctx := context.Background()
	if _, err := s.Call(ctx, "jobs.sp_add_job", []Arg{{Value: "P"}, {Value: "desc"}, {Value: true}}); err != nil {
		t.Fatal(err)
	}
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_name", "description", "enabled"), []string{"P|desc|true"})
	_, err := s.Call(ctx, "jobs.sp_add_target_group", []Arg{{Value: "G"}, {}, {Value: 3}})
	wantErr(t, err, 8144, "Procedure or function sp_add_target_group has too many arguments specified.")
	_, err = s.Call(ctx, "jobs.sp_add_target_group", []Arg{{Name: "target_group_name", Value: "G"}, {Value: nil}})
	wantErr(t, err, 119, "Must pass parameter number 2 and subsequent parameters as '@name = value'. After the form '@name = value' has been used, all subsequent parameters must be passed in the form '@name = value'.")
	_, err = s.Call(ctx, "jobs.sp_nope", nil)
	wantErr(t, err, 2812, "Could not find stored procedure 'jobs.sp_nope'.")
	if !s.HasProc("JOBS.sp_add_jobstep") || !s.HasProc("sp_getapplock") || !s.HasProc("dbo.sp_releaseapplock") || s.HasProc("sp_executesql") {
		t.Fatal("HasProc")
	}
}

func TestUpdateJob(t *testing.T) {
	s := openTest(t).NewSession()
	fixture(t, s)
	addStep(t, s, "J", "s1")
	mustCall(t, s, "jobs.sp_update_job", "job_name", "j", "new_name", "K", "enabled", "1", "schedule_interval_type", "Hours",
		"schedule_interval_count", int64(2))
	// NULL means unchanged; versions do not move [S].
	mustCall(t, s, "jobs.sp_update_job", "job_name", "K", "description", nil)
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_name", "job_version", "enabled", "schedule_interval_type", "schedule_interval_count", "description"),
		[]string{"K|1|true|Hours|2|"})
	mustCall(t, s, "jobs.sp_add_job", "job_name", "Other")
	wantErr(t, callErr(t, s, "jobs.sp_update_job", "job_name", "Other", "new_name", "k"), 2601,
		"Cannot insert duplicate key row in object 'jobs_internal.jobs' with unique index 'IX_jobs_name_delete_requested_time_is_system'. The duplicate key value is (k, <NULL>, 0).")
	wantErr(t, callErr(t, s, "jobs.sp_update_job", "job_name", "J"), 50000, "Job 'J' was not found")
	wantErr(t, callErr(t, s, "jobs.sp_update_job", "job_name", "K", "schedule_interval_count", int64(-1)), 547,
		"The UPDATE statement conflicted with the CHECK constraint \"CK_job_schedule_interval_count\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobs\", column 'schedule_interval_count'.")
	// Renaming to a case variant of the own name is fine.
	mustCall(t, s, "jobs.sp_update_job", "job_name", "K", "new_name", "k")
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_name"), []string{"k", "Other"})
}

func TestStepVersioningAndRenumbering(t *testing.T) {
	s := openTest(t).NewSession()
	fixture(t, s)
	r := mustCall(t, s, "jobs.sp_add_jobstep", "job_name", "J", "command", "A", "target_group_name", "G", "job_version out", nil, "step_id out", nil)
	eq(t, r.Outputs, map[string]sqlval.Value{"job_version": int64(1), "step_id": int64(1)})
	addStep(t, s, "J", "B")
	r = addStep(t, s, "J", "C", "step_id", int64(1)) // insert at the front
	eq(t, r.Outputs["job_version"], int64(3))
	eq(t, rowsOf(t, rel(t, s, "jobs.jobsteps"), "job_version", "step_id", "step_name"), []string{"3|1|C", "3|2|JobStep", "3|3|B"})
	r = mustCall(t, s, "jobs.sp_update_jobstep", "job_name", "J", "step_name", "c", "new_id", int64(3), "job_version out", nil)
	eq(t, r.Outputs["job_version"], int64(4))
	eq(t, rowsOf(t, rel(t, s, "jobs.jobsteps"), "step_id", "step_name"), []string{"1|JobStep", "2|B", "3|C"})
	r = mustCall(t, s, "jobs.sp_delete_jobstep", "job_name", "J", "step_id", int64(2), "job_version out", nil)
	eq(t, r.Outputs["job_version"], int64(5))
	eq(t, rowsOf(t, rel(t, s, "jobs.jobsteps"), "step_id", "step_name"), []string{"1|JobStep", "2|C"})
	// A no-op update still bumps the version [S].
	mustCall(t, s, "jobs.sp_update_jobstep", "job_name", "J", "step_id", int64(1))
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_version"), []string{"6"})
	eq(t, rowsOf(t, rel(t, s, "jobs.job_versions"), "job_version"), []string{"1", "2", "3", "4", "5", "6"})
	hist := rowsOf(t, rel(t, s, "jobs.jobstep_versions"), "job_version", "step_id", "step_name")
	eq(t, strings.Join(hist, " "), "1|1|JobStep 2|1|JobStep 2|2|B 3|1|C 3|2|JobStep 3|3|B 4|1|JobStep 4|2|B 4|3|C 5|1|JobStep 5|2|C 6|1|JobStep 6|2|C")
}

func TestAddJobStepErrors(t *testing.T) {
	long := strings.Repeat("x", 1024*1024+1)
	cases := []struct {
		name string
		args []any
		num  int32
		msg  string
	}{
		{"no job", []any{"job_name", "nope", "command", "x", "target_group_name", "G"}, 50000, "Job 'nope' was not found"},
		{"step id range", []any{"job_name", "J", "step_id", int64(3), "step_name", "x", "command", "x", "target_group_name", "G"}, 50000, "Invalid value for @step_id: '3'. @step_id must be greater than or equal to 1 and less than or equal to '2'."},
		{"step id zero", []any{"job_name", "J", "step_id", int64(0), "command", "x", "target_group_name", "G"}, 50000, "Invalid value for @step_id: '0'. @step_id must be greater than or equal to 1 and less than or equal to '2'."},
		{"name required", []any{"job_name", "J", "command", "x", "target_group_name", "G"}, 50000, "@step_name may only be NULL for the first job step."},
		{"parallelism", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "max_parallelism", int64(0)}, 50000, "Invalid value for @max_parallelism: '0'. @max_parallelism must be NULL or greater than or equal to 1."},
		{"duplicate name", []any{"job_name", "J", "step_name", "FIRST", "command", "x", "target_group_name", "G"}, 50000, "A step with name 'FIRST' (step id '1') already exists for the job 'J'."},
		{"command source", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "command_source", "File"}, 50000, "Invalid value for @command_source: 'File'"},
		{"output type", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "output_type", "Blob"}, 50000, "Invalid value for @output_type: 'Blob'. Only NULL or 'SqlDatabase' are supported."},
		{"target group", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "H"}, 50000, "Target Group 'H' not found"},
		{"credential", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "credential_name", "cred"}, 50000, "Cannot reference the credential 'cred', because it does not exist or you do not have permission."},
		{"output credential", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "output_type", "SqlDatabase", "output_credential_name", "oc", "output_server_name", "s", "output_database_name", "d", "output_table_name", "t"}, 50000, "Cannot reference the credential 'oc', because it does not exist or you do not have permission."},
		{"null command", []any{"job_name", "J", "step_name", "x", "target_group_name", "G"}, 515, "Cannot insert the value NULL into column 'text', table 'jobdb.jobs_internal.command_data'; column does not allow nulls. INSERT fails."},
		{"command too long", []any{"job_name", "J", "step_name", "x", "command", long, "target_group_name", "G"}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_command_data_text_length\". The conflict occurred in database \"jobdb\", table \"jobs_internal.command_data\", column 'text'."},
		{"command type", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "command_type", "PowerShell"}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_jobstep_data_command_type\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobstep_data\", column 'command_type'."},
		{"retry negative", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "initial_retry_interval_seconds", int64(-1)}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_jobstep_data_initial_retry_interval\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobstep_data\", column 'initial_retry_interval'."},
		{"retry order", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "initial_retry_interval_seconds", int64(500)}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_jobstep_data_retry_interval_ordered\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobstep_data\"."},
		{"attempts", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "retry_attempts", int64(-1)}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_jobstep_data_retry_attempts\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobstep_data\", column 'retry_attempts'."},
		{"backoff", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "retry_interval_backoff_multiplier", 0.5}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_jobstep_data_retry_interval_backoff_multiplier\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobstep_data\", column 'retry_interval_backoff_multiplier'."},
		{"timeout", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "step_timeout_seconds", int64(0)}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_jobstep_data_step_timeout\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobstep_data\", column 'step_timeout'."},
		{"ms overflow", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "step_timeout_seconds", int64(2147484)}, 8115, "Arithmetic overflow error converting expression to data type int."},
		{"partial output", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "output_table_name", "t"}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_jobstep_data_result_set_destination\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobstep_data\"."},
		{"output without table", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "output_type", "SqlDatabase", "output_server_name", "s", "output_database_name", "d"}, 547, "The INSERT statement conflicted with the CHECK constraint \"CK_jobstep_data_result_set_destination\". The conflict occurred in database \"jobdb\", table \"jobs_internal.jobstep_data\"."},
		{"missing group param", []any{"job_name", "J", "step_name", "x", "command", "x"}, 201, "Procedure or function 'sp_add_jobstep' expects parameter '@target_group_name', which was not supplied."},
		{"parallelism output", []any{"job_name", "J", "step_name", "x", "command", "x", "target_group_name", "G", "max_parallelism out", int64(2)}, 8162, "The formal parameter \"@max_parallelism\" was not declared as an OUTPUT parameter, but the actual parameter passed in requested output."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t).NewSession()
			fixture(t, s)
			addStep(t, s, "J", "first")
			wantErr(t, callErr(t, s, "jobs.sp_add_jobstep", tc.args...), tc.num, tc.msg)
			// The failed call changed nothing, not even the version.
			eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_version"), []string{"1"})
			eq(t, len(rel(t, s, "jobs.jobsteps").Rows), 1)
		})
	}
}

func TestAddJobStepFullRow(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	fixture(t, s)
	if err := s.CreateMasterKey("pw"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCredential("cred", "user", "secret"); err != nil {
		t.Fatal(err)
	}
	mustCall(t, s, "jobs.sp_add_jobstep", "job_name", "J", "command", "SELECT 1", "target_group_name", "g", "credential_name", "CRED",
		"output_type", "SqlDatabase", "output_server_name", "o.database.windows.net", "output_database_name", "odb",
		"output_table_name", "results", "output_subscription_id", "11111111-2222-3333-4444-555555555555", "max_parallelism", int64(4),
		"retry_interval_backoff_multiplier", "1.5")
	r := rel(t, s, "jobs.jobsteps")
	gid := rel(t, s, "jobs.target_groups").Rows[0][1]
	jid := rel(t, s, "jobs.jobs").Rows[0][1]
	eq(t, r.Rows, [][]sqlval.Value{{"J", jid, int64(1), int64(1), "JobStep", "TSql", "Inline", "SELECT 1", "CRED", "G", gid,
		int64(1), int64(120), 1.5, int64(10), int64(43200), "SqlDatabase", nil,
		sqlval.UUID{0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55},
		nil, "o.database.windows.net", "odb", "dbo", "results", int64(4)}})
}

func TestUpdateJobStep(t *testing.T) {
	s := openTest(t).NewSession()
	fixture(t, s)
	mustCall(t, s, "jobs.sp_add_target_group", "target_group_name", "G2")
	addStep(t, s, "J", "a", "output_type", "SqlDatabase", "output_server_name", "s", "output_database_name", "d",
		"output_table_name", "t", "max_parallelism", int64(3), "output_subscription_id", "11111111-2222-3333-4444-555555555555")
	addStep(t, s, "J", "b")
	mustCall(t, s, "jobs.sp_update_jobstep", "job_name", "J", "step_name", "a", "new_name", "A2", "command", "SELECT 2",
		"target_group_name", "G2", "retry_attempts", int64(0), "max_parallelism", int64(-1))
	got := rowsOf(t, rel(t, s, "jobs.jobsteps"), "step_id", "step_name", "command", "target_group_name", "retry_attempts", "max_parallelism", "output_schema_name")
	eq(t, got, []string{"1|A2|SELECT 2|G2|0|NULL|dbo", "2|b|SELECT 1|G|10|NULL|NULL"})
	// Clearing the output: '' for strings, the zero GUID for the subscription; the schema follows.
	mustCall(t, s, "jobs.sp_update_jobstep", "job_name", "J", "step_id", int64(1), "output_type", "", "output_server_name", "",
		"output_database_name", "", "output_table_name", "", "output_subscription_id", "00000000-0000-0000-0000-000000000000")
	got = rowsOf(t, rel(t, s, "jobs.jobsteps"), "output_type", "output_server_name", "output_schema_name", "output_subscription_id")
	eq(t, got[0], "NULL|NULL|NULL|NULL")

	cases := []struct {
		name string
		args []any
		msg  string
	}{
		{"both", []any{"step_id", int64(1), "step_name", "b"}, "@step_id and @step_name cannot both be specified."},
		{"neither", []any{}, "@step_id or @step_name (but not both) must be specified."},
		{"name missing", []any{"step_name", "zz"}, "Step name 'zz' was not found"},
		{"id missing", []any{"step_id", int64(9)}, "Step '9' was not found"},
		{"new id", []any{"step_id", int64(1), "new_id", int64(3)}, "Invalid value for @new_id: '3'. @new_id must be greater than or equal to 1 and less than or equal to '2'."},
		{"own name", []any{"step_id", int64(1), "new_name", "a2"}, "A step with name 'a2' (step id '1') already exists for the job 'J'."},
		{"other name", []any{"step_id", int64(1), "new_name", "B"}, "A step with name 'B' (step id '2') already exists for the job 'J'."},
		{"parallelism", []any{"step_id", int64(1), "max_parallelism", int64(0)}, "Invalid value for @max_parallelism: '0'. @max_parallelism must be NULL (indicating no change), -1 (meaning that it will be set to NULL), or greater than or equal to 1."},
		{"group", []any{"step_id", int64(1), "target_group_name", "nope"}, "Target Group 'nope' not found"},
		{"no job", []any{"job_name", "K", "step_id", int64(1)}, "Job 'K' was not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]any{"job_name", "J"}, tc.args...)
			if len(tc.args) > 0 && tc.args[0] == "job_name" {
				args = tc.args
			}
			wantErr(t, callErr(t, s, "jobs.sp_update_jobstep", args...), 50000, tc.msg)
		})
	}
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_version"), []string{"4"})
}

func TestDeleteJobStepErrors(t *testing.T) {
	s := openTest(t).NewSession()
	fixture(t, s)
	addStep(t, s, "J", strings.Repeat("n", 125))
	wantErr(t, callErr(t, s, "jobs.sp_delete_jobstep", "job_name", "J"), 50000, "@step_id or @step_name (but not both) must be specified.")
	// @step_name is nvarchar(120): a longer name is truncated and not found [S].
	wantErr(t, callErr(t, s, "jobs.sp_delete_jobstep", "job_name", "J", "step_name", strings.Repeat("n", 125)), 50000,
		"Step name '"+strings.Repeat("n", 120)+"' was not found")
	mustCall(t, s, "jobs.sp_delete_jobstep", "job_name", "J", "step_id", int64(1))
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_version"), []string{"2"})
	eq(t, len(rel(t, s, "jobs.jobsteps").Rows), 0)
}

func TestDeleteJobTombstoneAndReuse(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	fixture(t, s)
	addStep(t, s, "J", "a")
	je := mustCall(t, s, "jobs.sp_start_job", "job_name", "J", "job_execution_id out", nil).Outputs["job_execution_id"].(sqlval.UUID)
	wantErr(t, callErr(t, s, "jobs.sp_delete_job", "job_name", "J"), 50000,
		"The job could not be deleted because there are active job executions. In order to force deletion of this job and cancel its active executions, specify `@force=1`.")
	res := mustCall(t, s, "jobs.sp_delete_job", "job_name", "j", "force", true)
	eq(t, len(res.Messages), 1)
	eq(t, res.Messages[0].Message, "Cancelled job execution with id "+je.String())
	if _, ok := db.CancelRequested(je); !ok {
		t.Fatal("cancel not recorded")
	}
	for _, v := range []string{"jobs.jobs", "jobs.jobsteps", "jobs.job_versions", "jobs.jobstep_versions", "jobs.job_executions"} {
		eq(t, len(rel(t, s, v).Rows), 0)
	}
	wantErr(t, callErr(t, s, "jobs.sp_delete_job", "job_name", "J"), 50000, "Job 'J' was not found")
	// The name is free again at once; the new job starts at version 0.
	mustCall(t, s, "jobs.sp_add_job", "job_name", "J")
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_name", "job_version"), []string{"J|0"})
}

func TestStartStopJob(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	fixture(t, s)
	wantErr(t, callErr(t, s, "jobs.sp_start_job", "job_name", "J"), 50000, "Job 'J' contains no steps.")
	wantErr(t, callErr(t, s, "jobs.sp_start_job", "job_name", "X"), 50000, "Job 'X' was not found")
	addStep(t, s, "J", "a")
	res := mustCall(t, s, "jobs.sp_start_job", "job_name", "J", "job_execution_id out", nil)
	je := res.Outputs["job_execution_id"].(sqlval.UUID)
	r := rel(t, s, "jobs.job_executions")
	eq(t, rowsOf(t, r, "job_execution_id", "job_name", "job_version", "step_id", "is_active", "lifecycle", "create_time", "start_time", "end_time", "current_attempts", "target_id"),
		[]string{je.String() + "|J|1|NULL|true|Created|2025-03-04T05:06:07|NULL|NULL|0|NULL"})
	// A caller-supplied id is used, and must be new.
	mine := "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"
	res = mustCall(t, s, "jobs.sp_start_job", "job_name", "J", "job_execution_id out", mine)
	eq(t, show(res.Outputs["job_execution_id"]), mine)
	wantErr(t, callErr(t, s, "jobs.sp_start_job", "job_name", "J", "job_execution_id", mine), 50000,
		"Job Execution with id '"+mine+"' already exists.")
	mustCall(t, s, "jobs.sp_stop_job", "job_execution_id", je)
	mustCall(t, s, "jobs.sp_stop_job", "job_execution_id", je) // again: no error [S]
	if _, ok := db.CancelRequested(je); !ok {
		t.Fatal("no cancellation")
	}
	wantErr(t, callErr(t, s, "jobs.sp_stop_job", "job_execution_id", "00000000-0000-0000-0000-000000000001"), 547,
		"The INSERT statement conflicted with the FOREIGN KEY constraint \"FK_job_cancellations_job_executions\". The conflict occurred in database \"jobdb\", table \"jobs_internal.job_executions\", column 'job_execution_id'.")
	wantErr(t, callErr(t, s, "jobs.sp_stop_job", "job_execution_id", "nope"), 8114, "Error converting data type nvarchar to uniqueidentifier.")
	wantErr(t, callErr(t, s, "jobs.sp_stop_job"), 515, "Cannot insert the value NULL into column 'job_execution_id', table 'jobdb.jobs_internal.job_cancellations'; column does not allow nulls. INSERT fails.")
}

func TestTargetGroups(t *testing.T) {
	s := openTest(t).NewSession()
	if err := s.CreateMasterKey("pw"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCredential("refresh", "u", ""); err != nil {
		t.Fatal(err)
	}
	g1 := mustCall(t, s, "jobs.sp_add_target_group", "target_group_name", "G1", "target_group_id out", nil).Outputs["target_group_id"]
	mustCall(t, s, "jobs.sp_add_target_group", "target_group_name", "G2")
	wantErr(t, callErr(t, s, "jobs.sp_add_target_group", "target_group_name", "g1"), 50000, "Target group 'g1' already exists.")
	add := func(group string, kv ...any) sqlval.UUID {
		t.Helper()
		return mustCall(t, s, "jobs.sp_add_target_group_member", append([]any{"target_group_name", group, "target_id out", nil}, kv...)...).Outputs["target_id"].(sqlval.UUID)
	}
	a := add("G1", "target_type", "SqlServer", "server_name", "s1.database.windows.net", "refresh_credential_name", "refresh")
	b := add("G2", "target_type", "sqlserver", "server_name", "S1.database.windows.net", "refresh_credential_name", "REFRESH", "membership_type", "Exclude")
	if a != b {
		t.Fatal("identical definitions must share one target id")
	}
	c := add("G1", "target_type", "SqlElasticPool", "server_name", "s1", "elastic_pool_name", "p") // GA: no refresh credential
	d := add("G1", "target_type", "SqlDatabase", "server_name", "s1", "database_name", "db", "membership_type", "exclude")
	got := rowsOf(t, rel(t, s, "jobs.target_group_members"), "target_group_name", "membership_type", "target_type", "refresh_credential_name", "server_name", "database_name", "elastic_pool_name")
	eq(t, got, []string{
		"G1|Include|SqlServer|refresh|s1.database.windows.net|NULL|NULL",
		"G1|Include|SqlElasticPool|NULL|s1|NULL|p",
		"G1|Exclude|SqlDatabase|NULL|s1|db|NULL",
		"G2|Exclude|SqlServer|refresh|s1.database.windows.net|NULL|NULL", // the shared definition
	})
	_ = c
	errs := []struct {
		args []any
		num  int32
		msg  string
	}{
		{[]any{"target_group_name", "nope", "target_type", "SqlServer"}, 50000, "Target group 'nope' does not exist."},
		{[]any{"target_group_name", "G1", "target_type", "Cosmos"}, 50000, "Target type 'Cosmos' is invalid."},
		{[]any{"target_group_name", "G1", "target_type", "SqlDatabase", "server_name", "s"}, 50000, "Target type 'SqlDatabase' requires server name and database name properties to be specified."},
		{[]any{"target_group_name", "G1", "target_type", "SqlDatabase", "server_name", "s", "database_name", "d", "elastic_pool_name", "p"}, 50000, "Target type 'SqlDatabase' does not support the refresh credential, elastic pool name, or shard map name property."},
		{[]any{"target_group_name", "G1", "target_type", "SqlServer"}, 50000, "Target type 'SqlServer' requires server name and refresh credential name properties to be specified."},
		{[]any{"target_group_name", "G1", "target_type", "SqlServer", "server_name", "s", "database_name", "d"}, 50000, "Target type 'SqlServer' does not support the database name, elastic pool name, or shard map name property."},
		{[]any{"target_group_name", "G1", "target_type", "SqlElasticPool", "server_name", "s"}, 50000, "Target type 'SqlElasticPool' requires server name, elastic pool name, and refresh credential name properties to be specified."},
		{[]any{"target_group_name", "G1", "target_type", "SqlElasticPool", "server_name", "s", "elastic_pool_name", "p", "database_name", "d"}, 50000, "Target type 'SqlElasticPool' does not support the database name or shard map name property."},
		{[]any{"target_group_name", "G1", "target_type", "SqlShardMap", "server_name", "s", "database_name", "d"}, 50000, "Target type 'SqlShardMap' is invalid."},
		{[]any{"target_group_name", "G1", "target_type", "SqlElasticPool", "server_name", "s", "elastic_pool_name", "p", "shard_map_name", "m"}, 8145, "@shard_map_name is not a parameter for procedure sp_add_target_group_member."},
		{[]any{"target_group_name", "G1", "target_type", "SqlServer", "server_name", "s", "refresh_credential_name", "nope"}, 50000, "Cannot reference the credential(s) 'nope', because they do not exist or you do not have permission."},
		{[]any{"target_group_name", "G1", "target_type", "SqlDatabase", "server_name", "S1", "database_name", "DB", "membership_type", "Include"}, 50000, "Target group member '" + d.String() + "' already belongs to 'G1'."},
		{[]any{"target_group_name", "G1", "target_type", "SqlDatabase", "server_name", "s9", "database_name", "d", "membership_type", "Maybe"}, 515, "Cannot insert the value NULL into column 'include', table 'jobdb.jobs_internal.target_group_memberships'; column does not allow nulls. INSERT fails."},
		{[]any{"target_group_name", "G1"}, 201, "Procedure or function 'sp_add_target_group_member' expects parameter '@target_type', which was not supplied."},
	}
	for _, e := range errs {
		wantErr(t, callErr(t, s, "jobs.sp_add_target_group_member", e.args...), e.num, e.msg)
	}
	eq(t, len(rel(t, s, "jobs.target_group_members").Rows), 4)

	mustCall(t, s, "jobs.sp_delete_target_group_member", "target_group_name", "g1", "target_id", a)
	wantErr(t, callErr(t, s, "jobs.sp_delete_target_group_member", "target_group_name", "G1", "target_id", a), 50000,
		"Target with target_id '"+a.String()+"' was not found as a member of target group 'G1'")
	// The shared target stays for G2.
	eq(t, rowsOf(t, rel(t, s, "jobs.target_group_members"), "target_group_name", "target_id")[2], "G2|"+a.String())

	mustCall(t, s, "jobs.sp_delete_target_group", "target_group_name", "G2")
	wantErr(t, callErr(t, s, "jobs.sp_delete_target_group", "target_group_name", "G2"), 50000, "The target group 'G2' was not found.")
	eq(t, rowsOf(t, rel(t, s, "jobs.target_groups"), "target_group_name", "target_group_id"), []string{"G1|" + show(g1)})
	// Deleted names are reusable.
	mustCall(t, s, "jobs.sp_add_target_group", "target_group_name", "G2")
}

func TestDeleteTargetGroupReferenced(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	fixture(t, s)
	addStep(t, s, "J", "a")
	mustCall(t, s, "jobs.sp_add_job", "job_name", "K")
	addStep(t, s, "K", "k1")
	addStep(t, s, "K", "k2")
	wantErr(t, callErr(t, s, "jobs.sp_delete_target_group", "target_group_name", "G"), 50000,
		"The target group 'G' cannot be deleted because it is referenced by job 'J' step 'a' and 2 other job step(s).")
	// Referenced only by an active step execution of an older version.
	je := mustCall(t, s, "jobs.sp_start_job", "job_name", "J", "job_execution_id out", nil).Outputs["job_execution_id"].(sqlval.UUID)
	root := db.Executions(func(e *Execution) bool { return e.ExecutionID == je })[0]
	if _, err := db.AddExecution(context.Background(), Execution{Parent: root.Key, StepID: 1, StepName: "a", Lifecycle: InProgress}); err != nil {
		t.Fatal(err)
	}
	mustCall(t, s, "jobs.sp_delete_jobstep", "job_name", "J", "step_id", int64(1))
	mustCall(t, s, "jobs.sp_delete_job", "job_name", "K")
	wantErr(t, callErr(t, s, "jobs.sp_delete_target_group", "target_group_name", "G"), 50000,
		"The target group 'G' cannot be deleted because it is referenced by active job execution '"+je.String()+"' (job 'J' step 'a') and 0 other job executions.")
}

func TestPurgeJobHistory(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	fixture(t, s)
	addStep(t, s, "J", "a")
	var roots []int64
	for i := 0; i < 3; i++ {
		je := mustCall(t, s, "jobs.sp_start_job", "job_name", "J", "job_execution_id out", nil).Outputs["job_execution_id"].(sqlval.UUID)
		roots = append(roots, db.Executions(func(e *Execution) bool { return e.ExecutionID == je })[0].Key)
	}
	ctx := context.Background()
	child, err := db.AddExecution(ctx, Execution{Parent: roots[0], StepID: 1, StepName: "a", Lifecycle: Succeeded})
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range roots[:2] {
		end := testNow.Add(time.Duration(i) * time.Hour)
		if err := db.UpdateExecution(ctx, k, func(e *Execution) error { e.Lifecycle, e.EndTime = Succeeded, end; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.UpdateExecution(ctx, roots[2], func(e *Execution) error { e.Lifecycle = Failed; return nil }); err != nil {
		t.Fatal(err)
	}
	wantErr(t, callErr(t, s, "jobs.sp_purge_jobhistory", "job_name", "J", "job_id", "00000000-0000-0000-0000-000000000001"), 50000, "@job_name and @job_id parameters cannot both be specified")
	wantErr(t, callErr(t, s, "jobs.sp_purge_jobhistory"), 50000, "@job_name or @job_id (and not both) must be specified.")
	wantErr(t, callErr(t, s, "jobs.sp_purge_jobhistory", "job_name", "nope"), 50000, "Job 'nope' was not found")
	mustCall(t, s, "jobs.sp_purge_jobhistory", "job_name", "J", "oldest_date", testNow.Add(30*time.Minute))
	keys := func() []int64 {
		var ks []int64
		for _, e := range db.Executions(nil) {
			ks = append(ks, e.Key)
		}
		return ks
	}
	eq(t, keys(), []int64{roots[1], roots[2]}) // root 0 and its child purged
	_ = child
	mustCall(t, s, "jobs.sp_purge_jobhistory", "job_name", "J")
	eq(t, keys(), []int64{roots[2]}) // the last execution is kept
}

func TestCalls(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	fixture(t, s)
	callErr(t, s, "jobs.sp_add_job", "job_name", "J")
	eq(t, db.Calls(), map[string]int{"jobs.sp_add_target_group": 1, "jobs.sp_add_target_group_member": 1, "jobs.sp_add_job": 2})
	db.ResetCalls()
	mustCall(t, s, "Jobs.Sp_Update_Job", "job_name", "J")
	eq(t, db.Calls(), map[string]int{"jobs.sp_update_job": 1})
}

// TestEveryProcNulls calls every procedure with all parameters NULL and with each one NULL in
// turn: errors are expected, panics and errors without SQL Server numbers are not.
func TestEveryProcNulls(t *testing.T) {
	for name, pd := range procs {
		t.Run(name, func(t *testing.T) {
			s := openTest(t).NewSession()
			fixture(t, s)
			addStep(t, s, "J", "a")
			var all []Arg
			for _, p := range pd.params {
				all = append(all, Arg{Name: p.Name, Value: nil, Output: p.Output})
			}
			if _, err := s.Call(context.Background(), name, all); err != nil && (err.Number == 0 || err.Message == "") {
				t.Fatalf("bad error %#v", err)
			}
			base := map[string]sqlval.Value{"job_name": "J", "target_group_name": "G", "command": "x", "target_type": "SqlDatabase",
				"LockMode": "Shared", "LockOwner": "Session", "Resource": "r", "job_execution_id": sqlval.UUID{1}, "target_id": sqlval.UUID{1}}
			for i := range pd.params {
				args := []Arg{{Name: pd.params[i].Name, Value: nil}}
				for k, p := range pd.params {
					if v, ok := base[p.Name]; ok && k != i {
						args = append(args, Arg{Name: p.Name, Value: v})
					}
				}
				if _, err := s.Call(context.Background(), name, args); err != nil && (err.Number == 0 || err.Message == "") {
					t.Fatalf("NULL %s: bad error %#v", pd.params[i].Name, err)
				}
			}
		})
	}
}
