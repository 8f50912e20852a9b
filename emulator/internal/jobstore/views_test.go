package jobstore

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// colSpec renders a column as "name type(size) null".
func colSpec(c sqlval.Column) string {
	s := c.Name + " " + sqlval.TypeName(c)
	if c.Type == sqlval.NVarChar {
		if c.Size == sqlval.Max {
			s += "(max)"
		} else {
			s += "(" + itoa(c.Size) + ")"
		}
	}
	if c.Nullable {
		s += " null"
	}
	return s
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestViewColumns(t *testing.T) {
	want := map[string]string{
		"jobs.jobs": "job_name nvarchar(128), job_id uniqueidentifier, job_version int, description nvarchar(512), enabled bit, " +
			"schedule_interval_type nvarchar(50), schedule_interval_count int, schedule_start_time datetime2, schedule_end_time datetime2",
		"jobs.job_versions": "job_name nvarchar(128), job_id uniqueidentifier, job_version int",
		"jobs.jobsteps": "job_name nvarchar(128), job_id uniqueidentifier, job_version int, step_id int, step_name nvarchar(128), " +
			"command_type nvarchar(50), command_source nvarchar(50) null, command nvarchar(max), credential_name nvarchar(128) null, " +
			"target_group_name nvarchar(128) null, target_group_id uniqueidentifier null, initial_retry_interval_seconds int null, " +
			"maximum_retry_interval_seconds int null, retry_interval_backoff_multiplier real, retry_attempts int, " +
			"step_timeout_seconds int null, output_type nvarchar(11) null, output_credential_name nvarchar(128) null, " +
			"output_subscription_id uniqueidentifier null, output_resource_group_name nvarchar(128) null, " +
			"output_server_name nvarchar(256) null, output_database_name nvarchar(128) null, output_schema_name nvarchar(max) null, " +
			"output_table_name nvarchar(max) null, max_parallelism int null",
		"jobs.target_groups": "target_group_name nvarchar(128), target_group_id uniqueidentifier",
		"jobs.target_group_members": "target_group_name nvarchar(128), target_group_id uniqueidentifier, membership_type nvarchar(7), " +
			"target_type nvarchar(128), target_id uniqueidentifier, refresh_credential_name nvarchar(128) null, " +
			"subscription_id uniqueidentifier null, resource_group_name nvarchar(128) null, server_name nvarchar(128) null, " +
			"database_name nvarchar(128) null, elastic_pool_name nvarchar(128) null, shard_map_name nvarchar(128) null",
		"jobs.job_executions": "job_execution_id uniqueidentifier, job_name nvarchar(128), job_id uniqueidentifier, job_version int, " +
			"step_name nvarchar(128) null, step_id int null, is_active bit, lifecycle nvarchar(50), create_time datetime2, " +
			"start_time datetime2 null, end_time datetime2 null, current_attempts int, current_attempt_start_time datetime2 null, " +
			"next_attempt_start_time datetime2 null, last_message nvarchar(max) null, target_type nvarchar(128) null, " +
			"target_id uniqueidentifier null, target_group_name nvarchar(128) null, target_server_name nvarchar(256) null, " +
			"target_database_name nvarchar(128) null, target_subscription_id uniqueidentifier null, " +
			"target_resource_group_name nvarchar(128) null, target_elastic_pool_name nvarchar(128) null",
		"sys.database_scoped_credentials": "name nvarchar(128), credential_id int, principal_id int null, credential_identity nvarchar(4000) null, " +
			"create_date datetime, modify_date datetime, target_type nvarchar(100) null, target_id int null",
		"sys.symmetric_keys": "name nvarchar(128), principal_id int null, symmetric_key_id int, key_length int, key_algorithm nvarchar(2), " +
			"algorithm_desc nvarchar(60) null, create_date datetime, modify_date datetime",
		"sys.schemas": "name nvarchar(128), schema_id int, principal_id int null",
		"sys.tables":  "name nvarchar(128), object_id int, schema_id int, type nvarchar(2) null, type_desc nvarchar(60) null, create_date datetime, modify_date datetime",
	}
	want["jobs.jobstep_versions"] = want["jobs.jobsteps"]
	s := openTest(t).NewSession()
	for name, w := range want {
		r := rel(t, s, strings.ToUpper(name))
		var got []string
		for _, c := range r.Columns {
			got = append(got, colSpec(c))
		}
		if g := strings.Join(got, ", "); g != w {
			t.Errorf("%s columns:\n got %s\nwant %s", name, g, w)
		}
	}
	if len(want) != len(views) {
		t.Errorf("views not covered: have %d, tested %d", len(views), len(want))
	}
	_, err := s.Relation("jobs.nope")
	wantErr(t, err, 208, "Invalid object name 'jobs.nope'.")
	_, err = s.Relation("jobs") // schema required for tables
	wantErr(t, err, 208, "Invalid object name 'jobs'.")
}

// checkValues verifies every value has the Go type of its column and fits its size.
func checkValues(t *testing.T, name string, r *Relation) {
	t.Helper()
	for _, row := range r.Rows {
		if len(row) != len(r.Columns) {
			t.Fatalf("%s: row width %d, columns %d", name, len(row), len(r.Columns))
		}
		for i, v := range row {
			c := r.Columns[i]
			if v == nil {
				if !c.Nullable {
					t.Errorf("%s.%s: NULL in NOT NULL column", name, c.Name)
				}
				continue
			}
			ok := false
			switch c.Type {
			case sqlval.Int, sqlval.BigInt:
				_, ok = v.(int64)
			case sqlval.Bit:
				_, ok = v.(bool)
			case sqlval.Float:
				_, ok = v.(float64)
			case sqlval.NVarChar:
				var sv string
				sv, ok = v.(string)
				if ok && c.Size != sqlval.Max && sqlval.CharLen(sv) > c.Size {
					t.Errorf("%s.%s: %q longer than %d", name, c.Name, sv, c.Size)
				}
			case sqlval.GUID:
				_, ok = v.(sqlval.UUID)
			case sqlval.DateTime2, sqlval.DateTime:
				_, ok = v.(time.Time)
			}
			if !ok {
				t.Errorf("%s.%s: value %#v does not match type %s", name, c.Name, v, sqlval.TypeName(c))
			}
		}
	}
}

func TestViewValuesMatchTypes(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	fixture(t, s)
	if err := s.CreateMasterKey("pw"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCredential("c", "id", "x"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSchema("ejops"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTable("ejops", "inventory", []ColumnDef{{Name: "k", Type: nvarchar(10), PrimaryKey: true}}); err != nil {
		t.Fatal(err)
	}
	addStep(t, s, "J", "a", "credential_name", "c", "output_type", "SqlDatabase", "output_server_name", strings.Repeat("s", 256),
		"output_database_name", "d", "output_table_name", "t", "max_parallelism", int64(2))
	mustCall(t, s, "jobs.sp_add_target_group_member", "target_group_name", "G", "target_type", "SqlServer",
		"server_name", strings.Repeat("v", 128), "refresh_credential_name", "c", "membership_type", "Exclude")
	je := mustCall(t, s, "jobs.sp_start_job", "job_name", "J", "job_execution_id out", nil).Outputs["job_execution_id"].(sqlval.UUID)
	root := db.Executions(nil)[0]
	if _, err := db.AddExecution(context.Background(), Execution{Parent: root.Key, StepID: 1, StepName: "a", Lifecycle: Failed,
		CurrentAttempts: 3, StartTime: testNow, LastMessage: "boom", TargetType: "SqlDatabase", TargetID: je,
		TargetServer: "srv", TargetDatabase: "db1", TargetGroupName: "G"}); err != nil {
		t.Fatal(err)
	}
	for name := range views {
		r := rel(t, s, name)
		if len(r.Rows) == 0 {
			t.Errorf("%s: no rows", name)
		}
		checkValues(t, name, r)
	}
	eq(t, rowsOf(t, rel(t, s, "sys.schemas"), "name", "schema_id"), []string{"dbo|1", "guest|2", "INFORMATION_SCHEMA|3", "sys|4", "jobs|5", "jobs_internal|6", "ejops|" + show(rel(t, s, "sys.schemas").Rows[6][1])})
	eq(t, rowsOf(t, rel(t, s, "sys.tables"), "name", "type", "type_desc"), []string{"inventory|U|USER_TABLE"})
	eq(t, rowsOf(t, rel(t, s, "sys.symmetric_keys"), "name"), []string{"##MS_DatabaseMasterKey##"})
	eq(t, rowsOf(t, rel(t, s, "jobs.job_executions"), "step_id", "is_active", "lifecycle", "end_time", "last_message", "target_database_name"),
		[]string{"NULL|true|Created|NULL|NULL|NULL", "1|false|Failed|2025-03-04T05:06:07|boom|db1"})
}

func TestCaseInsensitiveNames(t *testing.T) {
	s := openTest(t).NewSession()
	mustCall(t, s, "jobs.sp_add_target_group", "target_group_name", "Group")
	mustCall(t, s, "jobs.sp_add_job", "job_name", "MyJob")
	mustCall(t, s, "jobs.sp_add_jobstep", "job_name", "MYJOB", "step_name", "Step", "command", "x", "target_group_name", "GROUP")
	mustCall(t, s, "jobs.sp_update_jobstep", "job_name", "myjob ", "step_name", "STEP", "command", "y")
	wantErr(t, callErr(t, s, "jobs.sp_add_job", "job_name", "MYJOB"), 2601,
		"Cannot insert duplicate key row in object 'jobs_internal.jobs' with unique index 'IX_jobs_name_delete_requested_time_is_system'. The duplicate key value is (MYJOB, <NULL>, 0).")
	eq(t, rowsOf(t, rel(t, s, "jobs.jobsteps"), "job_name", "step_name", "command", "target_group_name"), []string{"MyJob|Step|y|Group"})
}
