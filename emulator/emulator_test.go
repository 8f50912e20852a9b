package emulator

import (
	"database/sql"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
)

func TestRPCAddJobOutputs(t *testing.T) {
	_, db := start(t, Options{})
	ctx := t.Context()
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	var id mssql.UniqueIdentifier
	var rs mssql.ReturnStatus
	if _, err := db.ExecContext(ctx, "jobs.sp_add_job", sql.Named("job_name", "j1"),
		sql.Named("job_id", sql.Out{Dest: &id}), &rs); err != nil {
		t.Fatal(err)
	}
	if id == (mssql.UniqueIdentifier{}) || rs != 0 {
		t.Fatalf("job_id %v, return status %d", id, rs)
	}
	var got mssql.UniqueIdentifier
	var name string
	if err := db.QueryRowContext(ctx, "SELECT job_id, job_name FROM jobs.jobs WHERE job_name = @p1", "J1").Scan(&got, &name); err != nil {
		t.Fatal(err)
	}
	if got != id || name != "j1" {
		t.Fatalf("got %v %q, want %v j1", got, name, id)
	}
}

func TestExecuteSQLOutputs(t *testing.T) {
	_, db := start(t, Options{})
	ctx := t.Context()
	var id mssql.UniqueIdentifier
	var version sql.NullInt64
	if _, err := db.ExecContext(ctx, "EXEC jobs.sp_add_job @job_name = @name, @job_id = @id OUTPUT; EXEC jobs.sp_add_target_group @tg;"+
		" EXEC jobs.sp_add_jobstep @job_name = @name, @command = N'SELECT 1', @target_group_name = @tg, @job_version = @v OUTPUT",
		sql.Named("name", "via-executesql"), sql.Named("tg", "g"), sql.Named("id", sql.Out{Dest: &id}), sql.Named("v", sql.Out{Dest: &version})); err != nil {
		t.Fatal(err)
	}
	if id == (mssql.UniqueIdentifier{}) || version.Int64 != 1 {
		t.Fatalf("outputs: id %v, version %v", id, version)
	}
	var name string
	if err := db.QueryRowContext(ctx, "SELECT job_name FROM jobs.jobs WHERE job_id = @id", sql.Named("id", id)).Scan(&name); err != nil || name != "via-executesql" {
		t.Fatalf("lookup by id: %q, %v", name, err)
	}
	// A time.Time travels as datetimeoffset; datetime2 parameters keep its wall clock.
	local := time.Date(2026, 5, 1, 9, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	if _, err := db.ExecContext(ctx, "jobs.sp_update_job", sql.Named("job_name", "via-executesql"), sql.Named("schedule_start_time", local)); err != nil {
		t.Fatal(err)
	}
	var got time.Time
	if err := db.QueryRowContext(ctx, "SELECT schedule_start_time FROM jobs.jobs").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("schedule_start_time = %v, want %v", got, want)
	}
}

func TestSelectJobsWhereOrderTop(t *testing.T) {
	_, db := start(t, Options{})
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `EXEC jobs.sp_add_job 'job-b', @enabled = 1; EXEC jobs.sp_add_job 'job-a';
		EXEC jobs.sp_add_job 'job-c', @enabled = 1; EXEC jobs.sp_add_job 'other', @enabled = 1`); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT TOP (2) job_name, enabled FROM jobs.jobs WHERE job_name LIKE @p AND enabled = @on ORDER BY job_name DESC",
		sql.Named("p", "JOB-%"), sql.Named("on", true))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var name string
		var enabled bool
		if err := rows.Scan(&name, &enabled); err != nil {
			t.Fatal(err)
		}
		got = append(got, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "job-c" || got[1] != "job-b" {
		t.Fatalf("got %v, want [job-c job-b]", got)
	}
}

// TestReaderLoginOverTCP: LoginDSN logs in as a jobs_reader login, which holds no CONTROL and whose
// writes are denied; @@SERVERNAME answers the configured server name to both logins.
func TestReaderLoginOverTCP(t *testing.T) {
	e, addr := listen(t, Options{ServerName: "jobs-east", Logins: []Login{{Name: "jobs_reader", Password: "reader-pw", Role: RoleReader}}})
	if got := e.LoginDSN("nobody", addr); got != "" {
		t.Fatalf("LoginDSN of a login that does not exist: %q", got)
	}
	for dsn, control := range map[string]int{e.DSN(addr): 1, e.LoginDSN("jobs_reader", addr): 0} {
		db, err := sql.Open("sqlserver", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var server string
		var got int
		if err := db.QueryRow("SELECT @@SERVERNAME, HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CONTROL')").Scan(&server, &got); err != nil {
			t.Fatal(err)
		}
		if server != "jobs-east" || got != control {
			t.Errorf("%s: @@SERVERNAME %q, CONTROL %d; want jobs-east, %d", dsn, server, got, control)
		}
		if _, err := db.Exec("jobs.sp_add_target_group", sql.Named("target_group_name", "g")); (err != nil) != (control == 0) {
			t.Errorf("%s: sp_add_target_group: %v", dsn, err)
		}
	}
}
