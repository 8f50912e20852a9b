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
