package emulator

import (
	"testing"
)

// TestJobNamesWithPercentAreRefused: "The name must be unique and cannot contain the percent (%)
// character." ("jobs.sp_add_job (Azure Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-job-elastic-jobs-transact-sql);
// sp_update_job's @new_name keeps the rule. The error number and text are the emulator's guess.
func TestJobNamesWithPercentAreRefused(t *testing.T) {
	_, db := start(t, Options{})
	if _, err := db.Exec("EXEC jobs.sp_add_job @job_name = N'50_50 [done]'"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"EXEC jobs.sp_add_job @job_name = N'100% done'",
		"EXEC jobs.sp_update_job @job_name = N'50_50 [done]', @new_name = N'%'",
	} {
		_, err := db.Exec(q)
		if num, msg, _ := sqlErr(err); num != 50000 || msg == "" {
			t.Errorf("%s: %v", q, err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM jobs.jobs WHERE job_name LIKE N'%[%]%'").Scan(&n); err != nil || n != 0 {
		t.Errorf("jobs with %% in their name: %d, %v", n, err)
	}
}

// TestOnlyDocumentedTargetTypes: "Valid values for target_type are SqlServer, SqlElasticPool,
// SqlDatabase.", and the syntax has no @shard_map_name ("jobs.sp_add_target_group_member (Azure
// Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-target-group-member-elastic-jobs-transact-sql):
// SqlShardMap is an invalid type, and @shard_map_name gets SQL Server's Msg 8145 for a parameter
// the procedure does not have.
func TestOnlyDocumentedTargetTypes(t *testing.T) {
	_, db := start(t, Options{})
	if _, err := db.Exec("EXEC jobs.sp_add_target_group N'g'"); err != nil {
		t.Fatal(err)
	}
	_, err := db.Exec("EXEC jobs.sp_add_target_group_member N'g', @target_type = N'SqlShardMap', @server_name = N's', @database_name = N'd'")
	wantErr(t, err, 50000, "Target type 'SqlShardMap' is invalid.")
	_, err = db.Exec("EXEC jobs.sp_add_target_group_member N'g', @target_type = N'SqlDatabase', @server_name = N's', @database_name = N'd', @shard_map_name = N'm'")
	wantErr(t, err, 8145, "@shard_map_name is not a parameter for procedure sp_add_target_group_member.")
}

// TestOmittedNullDefaults: sp_delete_job @job_name, sp_stop_job @job_execution_id and
// sp_delete_target_group_member @target_id have "a default of NULL" ("jobs.sp_delete_job",
// "jobs.sp_stop_job" and "jobs.sp_delete_target_group_member (Azure Elastic Jobs)
// (Transact-SQL)", https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/).
// Omitting one is no missing argument (Msg 201): the call fails as with an explicit NULL, with
// the procedure's own error, which the pages do not give.
func TestOmittedNullDefaults(t *testing.T) {
	_, db := start(t, Options{})
	if _, err := db.Exec("EXEC jobs.sp_add_target_group N'g'"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		omitted, explicit string
		number            int32
	}{
		{"EXEC jobs.sp_delete_job", "EXEC jobs.sp_delete_job @job_name = NULL", 50000},
		{"EXEC jobs.sp_delete_job @force = 1", "EXEC jobs.sp_delete_job NULL, 1", 50000},
		{"EXEC jobs.sp_stop_job", "EXEC jobs.sp_stop_job @job_execution_id = NULL", 515},
		{"EXEC jobs.sp_delete_target_group_member N'g'", "EXEC jobs.sp_delete_target_group_member N'g', NULL", 50000},
	} {
		_, err := db.Exec(c.omitted)
		num, msg, _ := sqlErr(err)
		_, err2 := db.Exec(c.explicit)
		num2, msg2, _ := sqlErr(err2)
		if num != c.number || num2 != num || msg != msg2 {
			t.Errorf("%s: %d %q; %s: %d %q; want both %d", c.omitted, num, msg, c.explicit, num2, msg2, c.number)
		}
	}
}

// TestViewColumnTypesOnTheWire reads the types of the columns whose pages give a type other
// than nvarchar(128) through go-mssqldb's column metadata: output_type nvarchar(11) and
// output_schema_name and output_table_name nvarchar(max) ("jobs.jobsteps (Azure Elastic Jobs)
// (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/jobs-jobsteps-elastic-jobs-transact-sql,
// and "jobs.jobstep_versions"), server_name nvarchar(128) ("jobs.target_group_members (Azure
// Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/jobs-target-group-members-elastic-jobs-transact-sql),
// and target_server_name nvarchar(256) and last_message nvarchar(max) ("jobs.job_executions (Azure
// Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/jobs-job-executions-elastic-jobs-transact-sql).
func TestViewColumnTypesOnTheWire(t *testing.T) {
	_, db := start(t, Options{})
	// go-mssqldb reports nvarchar(max) (a size of 0xffff in the column metadata) as 2147483645/2
	// characters.
	const nvarcharMax = 2147483645 / 2
	for _, c := range []struct {
		view, column string
		length       int64 // in characters
	}{
		{"jobs.jobsteps", "output_type", 11},
		{"jobs.jobsteps", "output_schema_name", nvarcharMax},
		{"jobs.jobsteps", "output_table_name", nvarcharMax},
		{"jobs.jobstep_versions", "output_type", 11},
		{"jobs.jobstep_versions", "output_schema_name", nvarcharMax},
		{"jobs.jobstep_versions", "output_table_name", nvarcharMax},
		{"jobs.jobsteps", "output_server_name", 256},
		{"jobs.target_group_members", "server_name", 128},
		{"jobs.job_executions", "target_server_name", 256},
		{"jobs.job_executions", "last_message", nvarcharMax},
	} {
		rows, err := db.Query("SELECT " + c.column + " FROM " + c.view)
		if err != nil {
			t.Fatal(err)
		}
		types, err := rows.ColumnTypes()
		rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		length, ok := types[0].Length()
		if name := types[0].DatabaseTypeName(); name != "NVARCHAR" || !ok || length != c.length {
			t.Errorf("%s.%s: %s(%d, %v), want NVARCHAR(%d)", c.view, c.column, name, length, ok, c.length)
		}
	}
}
