package emulator

import "testing"

// TestWritesToViewsAreRefused: the jobs views join several tables and are not updatable ("CREATE
// VIEW (Transact-SQL)", section "Updatable views"); catalog views are never written. Both give
// SQL Server's error for the case, not "Invalid object name".
func TestWritesToViewsAreRefused(t *testing.T) {
	_, db := start(t, Options{})
	for q, want := range map[string]int32{
		"UPDATE jobs.jobs SET description = N'x'":                         4405,
		"DELETE FROM jobs.job_executions":                                 4405,
		"INSERT INTO jobs.target_groups (target_group_name) VALUES ('g')": 4405,
		"DELETE FROM sys.database_scoped_credentials":                     259,
		"DELETE FROM jobs.nope":                                           208,
	} {
		_, err := db.Exec(q)
		if num, msg, _ := sqlErr(err); num != want {
			t.Errorf("%s: %d %s, want %d", q, num, msg, want)
		}
	}
}

// TestDocumentedNameRules: "CREATE DATABASE SCOPED CREDENTIAL
// (Transact-SQL)": a credential name can't start with '#'; "CREATE MASTER KEY (Transact-SQL)":
// on Azure SQL Database the password is optional.
func TestDocumentedNameRules(t *testing.T) {
	_, db := start(t, Options{})
	if _, err := db.Exec("CREATE MASTER KEY"); err != nil {
		t.Fatalf("bare CREATE MASTER KEY: %v", err)
	}
	for _, q := range []string{
		"CREATE DATABASE SCOPED CREDENTIAL ok_cred WITH IDENTITY = 'u', SECRET = 's'",
		"EXEC jobs.sp_add_job @job_name = N'fine'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for q, want := range map[string]int32{
		"CREATE DATABASE SCOPED CREDENTIAL [#temp] WITH IDENTITY = 'u', SECRET = 's'": 15600,
		"CREATE MASTER KEY": 15578,
	} {
		_, err := db.Exec(q)
		if num, msg, _ := sqlErr(err); num != want {
			t.Errorf("%s: %d %s, want %d", q, num, msg, want)
		}
	}
}
