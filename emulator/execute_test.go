package emulator

import (
	"database/sql"
	"strings"
	"testing"
	"time"
)

const executeFleet = `authentication: ManagedIdentity
servers:
  - name: tenants-1.database.windows.net
    databases:
      - name: t1
        execute: true
      - name: simulated
  - name: reports
    databases:
      - name: reports
        execute: true
`

// runJob starts job and waits for it to end; it returns the root's lifecycle and the last
// message of each target database by name.
func runJob(t *testing.T, db *sql.DB, job string) (string, map[string]string) {
	t.Helper()
	var id string
	if err := db.QueryRow("DECLARE @id uniqueidentifier; EXEC jobs.sp_start_job @job_name = @p1, @job_execution_id = @id OUTPUT; SELECT CAST(@id AS nvarchar(36))", job).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var life string
		if err := db.QueryRow("SELECT lifecycle FROM jobs.job_executions WHERE job_execution_id = @p1 AND step_id IS NULL", id).Scan(&life); err != nil {
			t.Fatal(err)
		}
		switch life {
		case "Created", "InProgress", "WaitingForChildJobExecutions":
			continue
		}
		rows, err := db.Query("SELECT target_database_name, ISNULL(last_message, N'') FROM jobs.job_executions WHERE job_execution_id = @p1 AND target_type = N'SqlDatabase'", id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		msgs := map[string]string{}
		for rows.Next() {
			var name, msg string
			if err := rows.Scan(&name, &msg); err != nil {
				t.Fatal(err)
			}
			msgs[name] = msg
		}
		return life, msgs
	}
	t.Fatalf("job %s did not finish", job)
	return "", nil
}

// addJob creates a job of one step running command on every database of tenants-1; extra are
// more sp_add_jobstep parameters.
func addJob(t *testing.T, db *sql.DB, job, command, extra string) {
	t.Helper()
	for _, q := range []string{
		"IF NOT EXISTS (SELECT * FROM jobs.target_groups WHERE target_group_name = N'g') BEGIN EXEC jobs.sp_add_target_group N'g'; " +
			"EXEC jobs.sp_add_target_group_member @target_group_name = N'g', @target_type = N'SqlServer', @server_name = N'tenants-1.database.windows.net' END",
		"EXEC jobs.sp_add_job @job_name = @p1",
	} {
		if _, err := db.Exec(q, job); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.Exec("EXEC jobs.sp_add_jobstep @job_name = @p1, @command = @p2, @target_group_name = N'g', @retry_attempts = 0"+extra, job, command); err != nil {
		t.Fatal(err)
	}
}

// With execute: true a step's T-SQL runs in the database: a guarded CREATE TABLE succeeds every
// time, an unguarded one fails its second run with Msg 2714, and the table is seen by the
// database's catalog ("Create, configure, and manage elastic jobs": the CreateTableTest sample
// guards its CREATE TABLE so that reruns succeed).
func TestExecuteStepRunsTSQL(t *testing.T) {
	e, _ := serveTargets(t, executeFleet)
	db := jobDB(t, e)
	addJob(t, db, "guarded", "IF OBJECT_ID(N'dbo.t') IS NULL CREATE TABLE dbo.t (id int)", "")
	addJob(t, db, "unguarded", "CREATE TABLE dbo.u (id int)", "")
	for run := 1; run <= 2; run++ {
		if life, msgs := runJob(t, db, "guarded"); life != "Succeeded" {
			t.Fatalf("guarded run %d: %s %v", run, life, msgs)
		}
	}
	if life, msgs := runJob(t, db, "unguarded"); life != "Succeeded" {
		t.Fatalf("unguarded first run: %s %v", life, msgs)
	}
	life, msgs := runJob(t, db, "unguarded")
	if life != "Failed" || !strings.HasPrefix(msgs["t1"], "Msg 2714, Level 16, State 1, Line 1: There is already an object named 'u' in the database.") || msgs["simulated"] != "" {
		t.Fatalf("unguarded second run: %s %q", life, msgs)
	}
	target := targetDB(t, e, "tenants-1", "job_user", "t1", "")
	var id sql.NullInt64
	if err := target.QueryRow("SELECT OBJECT_ID(N'[dbo].[t]')").Scan(&id); err != nil || !id.Valid {
		t.Errorf("OBJECT_ID of the created table: %v, %v", id, err)
	}
	// The simulated database ran nothing.
	if err := targetDB(t, e, "tenants-1", "job_user", "simulated", "").QueryRow("SELECT OBJECT_ID(N'[dbo].[t]')").Scan(&id); err != nil || id.Valid {
		t.Errorf("simulated database: OBJECT_ID %v, %v", id, err)
	}
	// A statement outside the engine's subset fails the target with the syntax error.
	addJob(t, db, "unsupported", "CREATE INDEX ix ON dbo.t (id)", "")
	if life, msgs := runJob(t, db, "unsupported"); life != "Failed" || !strings.HasPrefix(msgs["t1"], "Msg 102,") && !strings.HasPrefix(msgs["t1"], "Msg 156,") {
		t.Errorf("unsupported statement: %s %q", life, msgs)
	}
}

// Batches split on GO lines, the documented variables are substituted, and the first result
// set goes to the output table with internal_execution_id ("Create, configure, and manage
// elastic jobs", sections "Data collection using built-in parameters" and "Monitor database
// performance").
func TestExecuteStepWritesOutput(t *testing.T) {
	e, _ := serveTargets(t, executeFleet)
	db := jobDB(t, e)
	script := "CREATE TABLE dbo.v (n int)\nGO\n  go  \nINSERT INTO dbo.v (n) VALUES ($(step_id))\nGO\n" +
		"SELECT DB_NAME() AS database_name, $(job_name) AS job_name, $(step_name) AS step_name, $(job_execution_id) AS job_execution_id, n FROM dbo.v"
	addJob(t, db, "collect", script, ", @step_name = N'gather', @output_type = N'SqlDatabase', @output_server_name = N'reports.database.windows.net', @output_database_name = N'reports', @output_table_name = N'results'")
	life, msgs := runJob(t, db, "collect")
	if life != "Succeeded" {
		t.Fatalf("%s %q", life, msgs)
	}
	var execID string
	if err := db.QueryRow("SELECT TOP 1 CAST(job_execution_id AS nvarchar(36)) FROM jobs.job_executions WHERE job_name = N'collect'").Scan(&execID); err != nil {
		t.Fatal(err)
	}
	out := targetDB(t, e, "reports", "reader", "reports", "")
	var name, job, step, gotExec string
	var n int64
	var internal sql.NullString
	if err := out.QueryRow("SELECT database_name, job_name, step_name, job_execution_id, n, CAST(internal_execution_id AS nvarchar(36)) FROM dbo.results").Scan(&name, &job, &step, &gotExec, &n, &internal); err != nil {
		t.Fatal(err)
	}
	if name != "t1" || job != "collect" || step != "gather" || !strings.EqualFold(gotExec, execID) || n != 1 || !internal.Valid {
		t.Errorf("output row: %q %q %q %q %d %v (execution %s)", name, job, step, gotExec, n, internal, execID)
	}
}

// jobDB opens the job database of e in process.
func jobDB(t *testing.T, e *Emulator) *sql.DB {
	t.Helper()
	c, err := e.Connector()
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db
}

// An output to the master database of a server the fleet lacks fails the attempt as a server that
// does not answer, and the emulator goes on serving.
func TestExecuteStepOutputToUnknownServer(t *testing.T) {
	e, _ := serveTargets(t, executeFleet)
	db := jobDB(t, e)
	addJob(t, db, "lost", "SELECT 1 AS n", ", @output_type = N'SqlDatabase', @output_server_name = N'nowhere.database.windows.net', @output_database_name = N'master', @output_table_name = N'results'")
	life, msgs := runJob(t, db, "lost")
	if life != "Failed" || !strings.Contains(msgs["t1"], "A network-related or instance-specific error") {
		t.Fatalf("%s %q", life, msgs)
	}
	if err := db.Ping(); err != nil {
		t.Fatalf("the emulator stopped serving: %v", err)
	}
}
