package jobdb

import (
	"database/sql"
	"fmt"
	"strings"
)

// The jobs views ejops reads, and the columns it reads from them, are those Microsoft's reference
// pages list (https://learn.microsoft.com/sql/relational-databases/system-catalog-views/…):
// "jobs.target_groups (Azure Elastic Jobs) (Transact-SQL)" (jobs-target-groups-elastic-jobs-transact-sql),
// "jobs.target_group_members (Azure Elastic Jobs) (Transact-SQL)" (jobs-target-group-members-elastic-jobs-transact-sql),
// "jobs.jobs (Azure Elastic Jobs) (Transact-SQL)" (jobs-jobs-elastic-jobs-transact-sql),
// "jobs.jobsteps (Azure Elastic Jobs) (Transact-SQL)" (jobs-jobsteps-elastic-jobs-transact-sql),
// "jobs.jobstep_versions (Azure Elastic Jobs) (Transact-SQL)" (jobs-jobstep-versions-elastic-jobs-transact-sql),
// "jobs.job_executions (Azure Elastic Jobs) (Transact-SQL)" (jobs-job-executions-elastic-jobs-transact-sql),
// and "sys.database_scoped_credentials (Transact-SQL)" (sys-database-scoped-credentials-transact-sql).
// testdata/views.json keeps those lists; a test checks every column selected here against it.
//
// Every SELECT names its columns, and every result set is decoded by column name, so a view that
// grows a column, or lists them in another order, reads the same.

// viewRead is one SELECT of documented columns from a view.
type viewRead struct {
	view  string
	cols  []string
	exprs map[string]string // the expression selected for a column, when it is not the column itself
	order string
}

// sql returns the SELECT, each column under its own name.
func (v viewRead) sql() string {
	items := make([]string, len(v.cols))
	for i, c := range v.cols {
		items[i] = c
		if e, ok := v.exprs[c]; ok {
			items[i] = e + " AS " + c
		}
	}
	return "SELECT " + strings.Join(items, ", ") + " FROM " + v.view + " ORDER BY " + v.order + ";"
}

// bindColumns orders dest, the destinations of the columns named by names, as the columns of the
// current result set of rows come; a column not named is read and dropped. A named column missing
// from the result set is an error.
func bindColumns(rows *sql.Rows, names []string, dest []any) ([]any, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	index := make(map[string]int, len(cols))
	for i, c := range cols {
		index[strings.ToLower(c)] = i
	}
	out := make([]any, len(cols))
	for i, n := range names {
		at, ok := index[strings.ToLower(n)]
		if !ok {
			return nil, fmt.Errorf("the result has no column %s (it has %s)", n, strings.Join(cols, ", "))
		}
		out[at] = dest[i]
	}
	for i := range out {
		if out[i] == nil {
			out[i] = new(any)
		}
	}
	return out, nil
}

// membershipName decodes jobs.target_group_members.membership_type. The view's page documents an
// int whose valid values are Include and Exclude; the numbers follow the Azure SQL management
// API's JobTargetGroupMembershipType ("JobTargetGroupMembershipType Enum",
// https://learn.microsoft.com/dotnet/api/azure.resourcemanager.sql.models.jobtargetgroupmembershiptype):
// Include 0, Exclude 1. The names are accepted too, in any case.
func membershipName(v any) (string, error) {
	n, isInt := int64(-1), true
	switch v := v.(type) {
	case int64:
		n = v
	case int32:
		n = int64(v)
	case int16:
		n = int64(v)
	case uint8:
		n = int64(v)
	default:
		isInt = false
	}
	switch {
	case isInt && n == 0:
		return "Include", nil
	case isInt && n == 1:
		return "Exclude", nil
	}
	switch v := v.(type) {
	case string:
		return membershipText(v)
	case []byte:
		return membershipText(string(v))
	}
	return "", fmt.Errorf("membership_type %v (%T) is neither Include (0) nor Exclude (1)", v, v)
}

func membershipText(s string) (string, error) {
	for _, name := range []string{"Include", "Exclude"} {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return name, nil
		}
	}
	return "", fmt.Errorf("membership_type %q is neither Include nor Exclude", s)
}
