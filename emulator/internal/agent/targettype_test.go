package agent

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// Every row of jobs.job_executions has a target_type of SqlServer, SqlElasticPool or SqlDatabase,
// or NULL: "Valid values for target_type are SqlServer, SqlElasticPool, or SqlDatabase"
// ("jobs.job_executions (Azure Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/jobs-job-executions-elastic-jobs-transact-sql).
// The job-level and step-level rows have NULL target_type and target_id; a step row names its
// target group.
func TestExecutionRowsUseDocumentedTargetTypes(t *testing.T) {
	s := newStack(t, testFleet())
	s.group("tenants",
		"Include SqlServer s1.database.windows.net",
		"Include SqlElasticPool s1.database.windows.net p2",
		"Include SqlDatabase s2.database.windows.net solo")
	s.job("nightly", "one tenants", "two tenants")
	id := s.start("nightly")
	s.advance(time.Hour)
	rows, err := s.sql.QueryContext(context.Background(),
		"SELECT step_id, target_type, target_id, target_group_name FROM jobs.job_executions WHERE job_execution_id = @p1", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]int{}
	for rows.Next() {
		var step sql.NullInt64
		var typ, tid, group sql.NullString
		if err := rows.Scan(&step, &typ, &tid, &group); err != nil {
			t.Fatal(err)
		}
		switch typ.String {
		case "SqlServer", "SqlElasticPool", "SqlDatabase":
			if !tid.Valid || !step.Valid || group.String != "tenants" {
				t.Errorf("%s row: step %v, target_id %v, group %v", typ.String, step, tid, group)
			}
		case "":
			if typ.Valid || tid.Valid || (step.Valid != group.Valid) {
				t.Errorf("row without a target: step %v, target_type %v, target_id %v, group %v", step, typ, tid, group)
			}
		default:
			t.Errorf("undocumented target_type %q (step %v)", typ.String, step)
		}
		seen[typ.String]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// the job row and two step rows; per step two enumerations and six databases (db1, db2, t1,
	// t2 and t3 of s1, solo of s2)
	if seen[""] != 3 || seen["SqlServer"] != 2 || seen["SqlElasticPool"] != 2 || seen["SqlDatabase"] != 12 {
		t.Errorf("rows by target_type = %v", seen)
	}
}
