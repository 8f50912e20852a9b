package emulator

import (
	"database/sql"
	"testing"
)

// TestRolesOverTCP checks the documented job database roles through go-mssqldb ("Elastic jobs in
// Azure SQL Database", https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-overview,
// section "Job database permissions"): jobs_reader may SELECT from the jobs views but may not
// execute the jobs procedures, and sees no credential (sys.database_scoped_credentials requires
// CONTROL, "sys.database_scoped_credentials (Transact-SQL)"); jobs_admin may execute them but not
// manage credentials; the owner may do everything.
func TestRolesOverTCP(t *testing.T) {
	e, addr := listen(t, Options{Logins: []Login{
		{Name: "reporting", Password: "reader-pw", Role: RoleReader},
		{Name: "deployer", Password: "admin-pw", Role: RoleAdmin},
	}})
	open := func(dsn string) *sql.DB {
		t.Helper()
		if dsn == "" {
			t.Fatal("no DSN")
		}
		db, err := sql.Open("sqlserver", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	owner, reader, admin := open(e.DSN(addr)), open(e.LoginDSN("reporting", addr)), open(e.LoginDSN("DEPLOYER", addr))
	for _, q := range []string{
		"CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Str0ng!pw'",
		"CREATE DATABASE SCOPED CREDENTIAL job_cred WITH IDENTITY = 'job_user', SECRET = 'pw'",
		"EXEC jobs.sp_add_job @job_name = N'nightly'",
	} {
		if _, err := owner.Exec(q); err != nil {
			t.Fatalf("owner: %s: %v", q, err)
		}
	}
	countRows := func(db *sql.DB, q string) int {
		t.Helper()
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
		}
		return n
	}
	for name, db := range map[string]*sql.DB{"owner": owner, "reader": reader, "admin": admin} {
		if n := countRows(db, "SELECT job_name FROM jobs.jobs"); n != 1 {
			t.Errorf("%s sees %d jobs, want 1", name, n)
		}
		want := 0
		if name == "owner" {
			want = 1
		}
		if n := countRows(db, "SELECT name FROM sys.database_scoped_credentials"); n != want {
			t.Errorf("%s sees %d credentials, want %d", name, n, want)
		}
	}
	_, err := reader.Exec("jobs.sp_add_target_group", sql.Named("target_group_name", "g"))
	if num, msg, _ := sqlErr(err); num != 229 || msg != "The EXECUTE permission was denied on the object 'sp_add_target_group', database 'jobdb', schema 'jobs'." {
		t.Errorf("reader RPC: %v", err)
	}
	_, err = reader.Exec("EXEC jobs.sp_start_job @job_name = N'nightly'")
	if num, _, _ := sqlErr(err); num != 229 {
		t.Errorf("reader EXEC: %v", err)
	}
	if _, err := admin.Exec("jobs.sp_add_target_group", sql.Named("target_group_name", "g")); err != nil {
		t.Errorf("admin: %v", err)
	}
	_, err = admin.Exec("CREATE DATABASE SCOPED CREDENTIAL c2 WITH IDENTITY = 'u', SECRET = 's'")
	if num, _, _ := sqlErr(err); num != 15247 {
		t.Errorf("admin creating a credential: %v", err)
	}
	if e.LoginDSN("nobody", addr) != "" {
		t.Error("LoginDSN of an unknown login")
	}
}

func TestLoginsNeedARole(t *testing.T) {
	if _, err := New(Options{Logins: []Login{{Name: "x", Password: "p", Role: "db_owner"}}}); err == nil {
		t.Error("a login with an unknown role was accepted")
	}
}
