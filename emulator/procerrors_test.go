package emulator

import (
	"database/sql"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/agent"
)

// procErrorCase is a call that must fail with a documented error. A case with stmt runs a
// statement instead of a procedure: as a batch, or through sp_executesql on the RPC path.
type procErrorCase struct {
	name   string
	setup  string
	stmt   string
	proc   string
	args   []arg
	outs   map[string]string
	number int32
	msg    string
	like   string // a regular expression the message must match, instead of msg
}

// Setups, names and values that the error cases share.
const (
	setupGroup = "EXEC jobs.sp_add_target_group 'g'; "
	setupJob   = setupGroup + "EXEC jobs.sp_add_job 'j'; "
	setupStep  = setupJob + "EXEC jobs.sp_add_jobstep 'j', @step_name = 's', @command = 'x', @target_group_name = 'g'; "
	knownID    = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
	poolType   = "SqlElasticPool"
	shardType  = "SqlShardMap"
	jobsTbl    = "jobs_internal.jobs"
	stepTbl    = "jobs_internal.jobstep_data"
)

// procT0 is the emulator's time in the error cases; the clock never moves.
var procT0 = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)

// checkMsg is the message of a CHECK constraint violation.
func checkMsg(stmt, constraint, table, column string) string {
	msg := fmt.Sprintf("The %s statement conflicted with the CHECK constraint \"%s\". The conflict occurred in database \"jobdb\", table \"%s\"", stmt, constraint, table)
	if column != "" {
		msg += ", column '" + column + "'"
	}
	return msg + "."
}

// stepArgs are the arguments of sp_add_jobstep for job j and group g, plus extra.
func stepArgs(extra ...arg) []arg {
	return append([]arg{{"job_name", "j"}, {"command", "x"}, {"target_group_name", "g"}}, extra...)
}

// memberArgs are the arguments of a target group member call for group g, plus extra.
func memberArgs(extra ...arg) []arg {
	return append([]arg{{"target_group_name", "g"}}, extra...)
}

// runProcErrors runs every case through both call paths, each on a fresh emulator.
func runProcErrors(t *testing.T, cases []procErrorCase) {
	for mode, call := range callers {
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				// A clock that never moves keeps the agent away from started executions.
				_, db := start(t, Options{Clock: agent.NewFakeClock(procT0)})
				ctx := t.Context()
				if tc.setup != "" {
					if _, err := db.ExecContext(ctx, tc.setup); err != nil {
						t.Fatal(err)
					}
				}
				var err error
				switch {
				case tc.stmt != "" && mode == "rpc":
					_, err = db.ExecContext(ctx, tc.stmt, sql.Named("unused", 1)) // sent through sp_executesql
				case tc.stmt != "":
					_, err = db.ExecContext(ctx, tc.stmt)
				default:
					_, err = call(ctx, db, tc.proc, tc.args, tc.outs)
				}
				if tc.like != "" {
					if n, m, _ := sqlErr(err); n != tc.number || !regexp.MustCompile(tc.like).MatchString(m) {
						t.Fatalf("error = %v (number %d), want %d matching %s", err, n, tc.number, tc.like)
					}
					return
				}
				wantErr(t, err, tc.number, tc.msg)
			})
		}
	}
}

// TestProcedureErrors checks errors of parameter binding, of jobs and of statements.
func TestProcedureErrors(t *testing.T) {
	runProcErrors(t, []procErrorCase{
		{name: "job not found", proc: "jobs.sp_update_job", args: []arg{{"job_name", "nope"}, {"enabled", true}},
			number: 50000, msg: "Job 'nope' was not found"},
		{name: "missing parameter", proc: "jobs.sp_add_job", args: []arg{{"description", "x"}},
			number: 201, msg: "Procedure or function 'sp_add_job' expects parameter '@job_name', which was not supplied."},
		{name: "unknown parameter", proc: "jobs.sp_add_job", args: []arg{{"job_name", "a"}, {"colour", "red"}},
			number: 8145, msg: "@colour is not a parameter for procedure sp_add_job."},
		{name: "output on input parameter", setup: "EXEC jobs.sp_add_target_group 'g'", proc: "jobs.sp_delete_target_group",
			args: []arg{{"target_group_name", "g"}}, outs: map[string]string{"force": "bit"}, number: 8162,
			msg: "The formal parameter \"@force\" was not declared as an OUTPUT parameter, but the actual parameter passed in requested output."},
		{name: "unknown procedure", proc: "jobs.sp_add_jobs", args: []arg{{"job_name", "a"}},
			number: 2812, msg: "Could not find stored procedure 'jobs.sp_add_jobs'."},
		{name: "duplicate job", setup: "EXEC jobs.sp_add_job @job_name = 'dup'", proc: "jobs.sp_add_job",
			args: []arg{{"job_name", "DUP"}}, number: 2601},
		{name: "duplicate target group", setup: "EXEC jobs.sp_add_target_group 'g'", proc: "jobs.sp_add_target_group",
			args: []arg{{"target_group_name", "g"}}, number: 50000, msg: "Target group 'g' already exists."},
		{name: "start without steps", setup: "EXEC jobs.sp_add_job @job_name = 'empty'", proc: "jobs.sp_start_job",
			args: []arg{{"job_name", "empty"}}, number: 50000, msg: "Job 'empty' contains no steps."},
		{name: "step id out of range", setup: "EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_job 'j'", proc: "jobs.sp_add_jobstep",
			args:   []arg{{"job_name", "j"}, {"step_id", 5}, {"command", "x"}, {"target_group_name", "g"}},
			number: 50000, msg: "Invalid value for @step_id: '5'. @step_id must be greater than or equal to 1 and less than or equal to '1'."},
		{name: "target group not found", setup: "EXEC jobs.sp_add_job 'j'", proc: "jobs.sp_add_jobstep",
			args:   []arg{{"job_name", "j"}, {"command", "x"}, {"target_group_name", "nope"}},
			number: 50000, msg: "Target Group 'nope' not found"},
		{name: "credential not found", setup: "EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_job 'j'", proc: "jobs.sp_add_jobstep",
			args:   []arg{{"job_name", "j"}, {"command", "x"}, {"target_group_name", "g"}, {"credential_name", "nope"}},
			number: 50000, msg: "Cannot reference the credential 'nope', because it does not exist or you do not have permission."},
		{name: "member without database", setup: "EXEC jobs.sp_add_target_group 'g'", proc: "jobs.sp_add_target_group_member",
			args:   []arg{{"target_group_name", "g"}, {"target_type", "SqlDatabase"}, {"server_name", "s"}},
			number: 50000, msg: "Target type 'SqlDatabase' requires server name and database name properties to be specified."},
		{name: "step id and name", setup: "EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_job 'j'; EXEC jobs.sp_add_jobstep 'j', @command = 'x', @target_group_name = 'g'",
			proc: "jobs.sp_update_jobstep", args: []arg{{"job_name", "j"}, {"step_id", 1}, {"step_name", "JobStep"}},
			number: 50000, msg: "@step_id and @step_name cannot both be specified."},
		{name: "group in use", setup: "EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_job 'j'; EXEC jobs.sp_add_jobstep 'j', @step_name = 's', @command = 'x', @target_group_name = 'g'",
			proc: "jobs.sp_delete_target_group", args: []arg{{"target_group_name", "g"}},
			number: 50000, msg: "The target group 'g' cannot be deleted because it is referenced by job 'j' step 's' and 0 other job step(s)."},
		{name: "bad interval type", proc: "jobs.sp_add_job", args: []arg{{"job_name", "x"}, {"schedule_interval_type", "Fortnights"}},
			number: 547, msg: checkMsg("INSERT", "CK_job_schedule_interval_type", jobsTbl, "schedule_interval_type")},
		{name: "null job name", proc: "jobs.sp_add_job", args: []arg{{"job_name", nil}},
			number: 515, msg: "Cannot insert the value NULL into column 'name', table 'jobdb.jobs_internal.jobs'; column does not allow nulls. INSERT fails."},
		{name: "too many arguments", proc: "jobs.sp_add_target_group", args: []arg{{"", "g"}, {"", nil}, {"", "extra"}},
			number: 8144, msg: "Procedure or function sp_add_target_group has too many arguments specified."},
		{name: "credential without master key", stmt: "CREATE DATABASE SCOPED CREDENTIAL c WITH IDENTITY = 'i', SECRET = 's'",
			number: 15581, msg: "Please create a master key in the database or open the master key in the session before performing this operation."},
	})
}

// TestJobStepErrors checks the errors of sp_add_jobstep, sp_update_jobstep and sp_delete_jobstep.
func TestJobStepErrors(t *testing.T) {
	runProcErrors(t, []procErrorCase{
		{name: "duplicate step name", setup: setupStep, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"step_name", "S"}),
			number: 50000, msg: "A step with name 'S' (step id '1') already exists for the job 'j'."},
		{name: "command source", setup: setupJob, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"command_source", "File"}),
			number: 50000, msg: "Invalid value for @command_source: 'File'"},
		{name: "output type", setup: setupJob, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"output_type", "Table"}),
			number: 50000, msg: "Invalid value for @output_type: 'Table'. Only NULL or 'SqlDatabase' are supported."},
		{name: "new id out of range", setup: setupStep, proc: "jobs.sp_update_jobstep", args: []arg{{"job_name", "j"}, {"step_id", 1}, {"new_id", 3}},
			number: 50000, msg: "Invalid value for @new_id: '3'. @new_id must be greater than or equal to 1 and less than or equal to '1'."},
		{name: "add max parallelism", setup: setupJob, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"max_parallelism", 0}),
			number: 50000, msg: "Invalid value for @max_parallelism: '0'. @max_parallelism must be NULL or greater than or equal to 1."},
		{name: "update max parallelism", setup: setupStep, proc: "jobs.sp_update_jobstep", args: []arg{{"job_name", "j"}, {"step_id", 1}, {"max_parallelism", -2}},
			number: 50000, msg: "Invalid value for @max_parallelism: '-2'. @max_parallelism must be NULL (indicating no change), -1 (meaning that it will be set to NULL), or greater than or equal to 1."},
		{name: "unnamed later step", setup: setupStep, proc: "jobs.sp_add_jobstep", args: stepArgs(),
			number: 50000, msg: "@step_name may only be NULL for the first job step."},
		{name: "neither step id nor name", setup: setupStep, proc: "jobs.sp_update_jobstep", args: []arg{{"job_name", "j"}, {"command", "y"}},
			number: 50000, msg: "@step_id or @step_name (but not both) must be specified."},
		{name: "step name not found", setup: setupStep, proc: "jobs.sp_update_jobstep", args: []arg{{"job_name", "j"}, {"step_name", "nope"}, {"command", "y"}},
			number: 50000, msg: "Step name 'nope' was not found"},
		{name: "step id not found", setup: setupStep, proc: "jobs.sp_delete_jobstep", args: []arg{{"job_name", "j"}, {"step_id", 5}},
			number: 50000, msg: "Step '5' was not found"},
		{name: "output credential not found", setup: setupJob, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"output_type", "SqlDatabase"},
			arg{"output_credential_name", "nope"}, arg{"output_server_name", "s"}, arg{"output_database_name", "d"}, arg{"output_table_name", "t"}),
			number: 50000, msg: "Cannot reference the credential 'nope', because it does not exist or you do not have permission."},
	})
}

// TestExecutionErrors checks the errors of starting, stopping and purging job executions and of
// deleting a job that runs.
func TestExecutionErrors(t *testing.T) {
	runProcErrors(t, []procErrorCase{
		{name: "delete job with active executions", setup: setupStep + "EXEC jobs.sp_start_job 'j'", proc: "jobs.sp_delete_job", args: []arg{{"job_name", "j"}},
			number: 50000, msg: "The job could not be deleted because there are active job executions. In order to force deletion of this job and cancel its active executions, specify `@force=1`."},
		{name: "duplicate execution id", setup: setupStep + "DECLARE @e uniqueidentifier = '" + knownID + "'; EXEC jobs.sp_start_job 'j', @e OUTPUT",
			proc: "jobs.sp_start_job", args: []arg{{"job_name", "j"}, {"job_execution_id", mssqlGUID(knownID)}},
			number: 50000, msg: "Job Execution with id '" + knownID + "' already exists."},
		{name: "stop unknown execution", proc: "jobs.sp_stop_job", args: []arg{{"job_execution_id", mssqlGUID(knownID)}},
			number: 547, msg: "The INSERT statement conflicted with the FOREIGN KEY constraint \"FK_job_cancellations_job_executions\". The conflict occurred in database \"jobdb\", table \"jobs_internal.job_executions\", column 'job_execution_id'."},
		{name: "purge by name and id", setup: setupJob, proc: "jobs.sp_purge_jobhistory", args: []arg{{"job_name", "j"}, {"job_id", mssqlGUID(knownID)}},
			number: 50000, msg: "@job_name and @job_id parameters cannot both be specified"},
		{name: "purge without a job", proc: "jobs.sp_purge_jobhistory", args: []arg{{"oldest_date", procT0}},
			number: 50000, msg: "@job_name or @job_id (and not both) must be specified."},
	})
}

// TestTargetGroupErrors checks the errors of target groups and their members.
func TestTargetGroupErrors(t *testing.T) {
	runProcErrors(t, []procErrorCase{
		{name: "invalid target type", setup: setupGroup, proc: "jobs.sp_add_target_group_member", args: memberArgs(arg{"target_type", "SqlCluster"}, arg{"server_name", "s"}),
			number: 50000, msg: "Target type 'SqlCluster' is invalid."},
		{name: "database with pool", setup: setupGroup, proc: "jobs.sp_add_target_group_member",
			args:   memberArgs(arg{"target_type", "SqlDatabase"}, arg{"server_name", "s"}, arg{"database_name", "d"}, arg{"elastic_pool_name", "p"}),
			number: 50000, msg: "Target type 'SqlDatabase' does not support the refresh credential, elastic pool name, or shard map name property."},
		{name: "server without name", setup: setupGroup, proc: "jobs.sp_add_target_group_member", args: memberArgs(arg{"target_type", "SqlServer"}),
			number: 50000, msg: "Target type 'SqlServer' requires server name and refresh credential name properties to be specified."},
		{name: "server with database", setup: setupGroup, proc: "jobs.sp_add_target_group_member",
			args:   memberArgs(arg{"target_type", "SqlServer"}, arg{"server_name", "s"}, arg{"database_name", "d"}),
			number: 50000, msg: "Target type 'SqlServer' does not support the database name, elastic pool name, or shard map name property."},
		{name: "pool without pool name", setup: setupGroup, proc: "jobs.sp_add_target_group_member", args: memberArgs(arg{"target_type", poolType}, arg{"server_name", "s"}),
			number: 50000, msg: "Target type 'SqlElasticPool' requires server name, elastic pool name, and refresh credential name properties to be specified."},
		{name: "pool with database", setup: setupGroup, proc: "jobs.sp_add_target_group_member",
			args:   memberArgs(arg{"target_type", poolType}, arg{"server_name", "s"}, arg{"elastic_pool_name", "p"}, arg{"database_name", "d"}),
			number: 50000, msg: "Target type 'SqlElasticPool' does not support the database name or shard map name property."},
		{name: "shard map target type", setup: setupGroup, proc: "jobs.sp_add_target_group_member",
			args:   memberArgs(arg{"target_type", shardType}, arg{"server_name", "s"}, arg{"database_name", "d"}),
			number: 50000, msg: "Target type 'SqlShardMap' is invalid."},
		{name: "shard map name", setup: setupGroup, proc: "jobs.sp_add_target_group_member",
			args:   memberArgs(arg{"target_type", "SqlDatabase"}, arg{"server_name", "s"}, arg{"database_name", "d"}, arg{"shard_map_name", "m"}),
			number: 8145, msg: "@shard_map_name is not a parameter for procedure sp_add_target_group_member."},
		{name: "refresh credential not found", setup: setupGroup, proc: "jobs.sp_add_target_group_member",
			args:   memberArgs(arg{"target_type", "SqlServer"}, arg{"server_name", "s"}, arg{"refresh_credential_name", "nope"}),
			number: 50000, msg: "Cannot reference the credential(s) 'nope', because they do not exist or you do not have permission."},
		{name: "member already belongs", setup: setupGroup + "EXEC jobs.sp_add_target_group_member 'g', @target_type = 'SqlServer', @server_name = 's'",
			proc: "jobs.sp_add_target_group_member", args: memberArgs(arg{"target_type", "sqlserver"}, arg{"server_name", "s"}),
			number: 50000, like: `^Target group member '[0-9A-F-]{36}' already belongs to 'g'\.$`},
		{name: "member not found", setup: setupGroup, proc: "jobs.sp_delete_target_group_member", args: memberArgs(arg{"target_id", mssqlGUID(knownID)}),
			number: 50000, msg: "Target with target_id '" + knownID + "' was not found as a member of target group 'g'"},
		{name: "member of unknown group", proc: "jobs.sp_add_target_group_member", args: []arg{{"target_group_name", "nope"}, {"target_type", "SqlServer"}, {"server_name", "s"}},
			number: 50000, msg: "Target group 'nope' does not exist."},
		{name: "delete unknown group", proc: "jobs.sp_delete_target_group", args: []arg{{"target_group_name", "nope"}},
			number: 50000, msg: "The target group 'nope' was not found."},
	})
}

// TestCheckConstraintErrors checks the CHECK constraints of the model's tables.
func TestCheckConstraintErrors(t *testing.T) {
	runProcErrors(t, []procErrorCase{
		{name: "start after end", proc: "jobs.sp_add_job", args: []arg{{"job_name", "x"}, {"schedule_start_time", procT0}, {"schedule_end_time", procT0.Add(-time.Hour)}},
			number: 547, msg: checkMsg("INSERT", "CK_job_schedule_start_time_end_time_ordered", jobsTbl, "")},
		{name: "interval count zero", setup: setupJob, proc: "jobs.sp_update_job", args: []arg{{"job_name", "j"}, {"schedule_interval_type", "Days"}, {"schedule_interval_count", 0}},
			number: 547, msg: checkMsg("UPDATE", "CK_job_schedule_interval_count", jobsTbl, "schedule_interval_count")},
		{name: "negative initial retry", setup: setupJob, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"initial_retry_interval_seconds", -1}),
			number: 547, msg: checkMsg("INSERT", "CK_jobstep_data_initial_retry_interval", stepTbl, "initial_retry_interval")},
		{name: "initial retry above maximum", setup: setupJob, proc: "jobs.sp_add_jobstep",
			args:   stepArgs(arg{"initial_retry_interval_seconds", 60}, arg{"maximum_retry_interval_seconds", 30}),
			number: 547, msg: checkMsg("INSERT", "CK_jobstep_data_retry_interval_ordered", stepTbl, "")},
		{name: "negative retry attempts", setup: setupJob, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"retry_attempts", -1}),
			number: 547, msg: checkMsg("INSERT", "CK_jobstep_data_retry_attempts", stepTbl, "retry_attempts")},
		{name: "backoff below one", setup: setupJob, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"retry_interval_backoff_multiplier", 0.5}),
			number: 547, msg: checkMsg("INSERT", "CK_jobstep_data_retry_interval_backoff_multiplier", stepTbl, "retry_interval_backoff_multiplier")},
		{name: "zero timeout", setup: setupJob, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"step_timeout_seconds", 0}),
			number: 547, msg: checkMsg("INSERT", "CK_jobstep_data_step_timeout", stepTbl, "step_timeout")},
		{name: "output table without type", setup: setupJob, proc: "jobs.sp_add_jobstep", args: stepArgs(arg{"output_table_name", "t"}),
			number: 547, msg: checkMsg("INSERT", "CK_jobstep_data_result_set_destination", stepTbl, "")},
	})
}
