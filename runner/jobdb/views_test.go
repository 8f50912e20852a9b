package jobdb

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// viewColumn is a column of a view: its name and type as Microsoft's pages write it.
type viewColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// documentedView is a view as its reference page documents it.
type documentedView struct {
	View    string       `json:"view"`
	Page    string       `json:"page"`
	URL     string       `json:"url"`
	Columns []viewColumn `json:"columns"`
}

// documentedViews reads testdata/views.json: every view ejops reads, with its columns as written
// on its Microsoft Learn page.
func documentedViews(t *testing.T) []documentedView {
	t.Helper()
	data, err := os.ReadFile("testdata/views.json")
	if err != nil {
		t.Fatal(err)
	}
	var views []documentedView
	if err := json.Unmarshal(data, &views); err != nil {
		t.Fatal(err)
	}
	return views
}

// viewDifferences lists every difference between the documented views and the columns a job
// database has (by view name): missing views and columns, columns of another type, and columns the
// pages do not list.
func viewDifferences(documented []documentedView, live map[string][]viewColumn) []string {
	var out []string
	for _, v := range documented {
		cols, ok := live[v.View]
		if !ok {
			out = append(out, fmt.Sprintf("%s: no such view (documented by %q, %s)", v.View, v.Page, v.URL))
			continue
		}
		have := map[string]string{}
		for _, c := range cols {
			have[strings.ToLower(c.Name)] = c.Type
		}
		for _, c := range v.Columns {
			typ, ok := have[strings.ToLower(c.Name)]
			delete(have, strings.ToLower(c.Name))
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s.%s: missing, documented as %s (%s)", v.View, c.Name, c.Type, v.URL))
			case !strings.EqualFold(typ, c.Type):
				out = append(out, fmt.Sprintf("%s.%s: %s, documented as %s (%s)", v.View, c.Name, typ, c.Type, v.URL))
			}
		}
		for _, c := range cols {
			if typ, extra := have[strings.ToLower(c.Name)]; extra {
				out = append(out, fmt.Sprintf("%s.%s: %s, not on the view's page (%s)", v.View, c.Name, typ, v.URL))
			}
		}
	}
	return out
}

// catalogType writes a column's type as the reference pages do, from sys.all_columns: the type
// name (TYPE_NAME of system_type_id, so sysname reads nvarchar), the length of character types in
// characters or max, the scale of time types ("sys.all_columns (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-all-columns-transact-sql).
func catalogType(name string, maxLength, scale int) string {
	name = strings.ToLower(name)
	switch name {
	case "nvarchar", "nchar", "varchar", "char", "varbinary", "binary":
		if maxLength == -1 {
			return name + "(max)"
		}
		if name == "nvarchar" || name == "nchar" {
			maxLength /= 2
		}
		return fmt.Sprintf("%s(%d)", name, maxLength)
	case "datetime2", "datetimeoffset", "time":
		return fmt.Sprintf("%s(%d)", name, scale)
	}
	return name
}

func TestViewDifferencesListsEveryDifference(t *testing.T) {
	documented := documentedViews(t)
	live := map[string][]viewColumn{}
	for _, v := range documented {
		live[v.View] = slices.Clone(v.Columns)
	}
	if d := viewDifferences(documented, live); len(d) != 0 {
		t.Fatalf("the documented views differ from themselves: %v", d)
	}
	members := live["jobs.target_group_members"]
	members[2] = viewColumn{"membership_type", "nvarchar(7)"}
	live["jobs.target_group_members"] = append(slices.Delete(members, 0, 1), viewColumn{"shard_map_name", "nvarchar(128)"})
	delete(live, "jobs.job_executions")
	got := viewDifferences(documented, live)
	want := []string{
		"jobs.target_group_members.target_group_name: missing, documented as nvarchar(128)",
		"jobs.target_group_members.membership_type: nvarchar(7), documented as int",
		"jobs.target_group_members.shard_map_name: nvarchar(128), not on the view's page",
		"jobs.job_executions: no such view",
	}
	if len(got) != len(want) {
		t.Fatalf("differences:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("difference %d: %q, want %q…", i, got[i], want[i])
		}
	}
}

func TestCatalogType(t *testing.T) {
	for _, c := range []struct {
		name          string
		length, scale int
		want          string
	}{
		{"nvarchar", 256, 0, "nvarchar(128)"}, {"nvarchar", -1, 0, "nvarchar(max)"}, {"NVARCHAR", 22, 0, "nvarchar(11)"},
		{"varchar", 10, 0, "varchar(10)"}, {"datetime2", 8, 7, "datetime2(7)"}, {"int", 4, 0, "int"},
		{"uniqueidentifier", 16, 0, "uniqueidentifier"}, {"bit", 1, 0, "bit"}, {"real", 4, 0, "real"}, {"datetime", 8, 3, "datetime"},
	} {
		if got := catalogType(c.name, c.length, c.scale); got != c.want {
			t.Errorf("catalogType(%s, %d, %d) = %s, want %s", c.name, c.length, c.scale, got, c.want)
		}
	}
}

// TestSelectedColumnsAreDocumented: every column ejops selects from a view is on that view's page.
func TestSelectedColumnsAreDocumented(t *testing.T) {
	documented := map[string]map[string]bool{}
	for _, v := range documentedViews(t) {
		documented[v.View] = map[string]bool{}
		for _, c := range v.Columns {
			documented[v.View][c.Name] = true
		}
	}
	reads := []viewRead{credentialsRead, groupsRead, membersRead, jobsRead, stepsRead, executionRead,
		{view: "jobs.jobstep_versions", cols: []string{"step_name", "job_id", "job_version", "step_id"}}}
	for _, r := range reads {
		cols, ok := documented[r.view]
		if !ok {
			t.Errorf("%s is read but not in testdata/views.json", r.view)
		}
		for _, c := range r.cols {
			if !cols[c] {
				t.Errorf("%s.%s is selected but not documented", r.view, c)
			}
		}
		for c := range r.exprs {
			if !slices.Contains(r.cols, c) {
				t.Errorf("%s: expression for %s, which is not read", r.view, c)
			}
		}
		if r.order != "" && !strings.Contains(readBatch, r.sql()) {
			t.Errorf("the read batch lacks %s", r.sql())
		}
	}
	for _, col := range []string{"s.step_name", "s.job_id", "s.job_version", "s.step_id"} {
		if !strings.Contains(executionColumns, col) {
			t.Errorf("executionColumns no longer reads %s from jobs.jobstep_versions: update this test", col)
		}
	}
}

// catalogQuery reads the columns of the views ejops reads from sys.all_columns (sys.columns with
// the system views), which a jobs_reader login sees for the views it may select from.
const catalogQuery = `SELECT OBJECT_SCHEMA_NAME(c.object_id) + N'.' + OBJECT_NAME(c.object_id) AS view_name, c.name,
 TYPE_NAME(c.system_type_id) AS type_name, c.max_length, c.scale
FROM sys.all_columns AS c
WHERE c.object_id IN (%s)
ORDER BY view_name, c.column_id`

// TestLiveViewColumns compares the columns of every view ejops reads, on the real job database
// named by EJOPS_LIVE_JOB_DB, with testdata/views.json, and lists every difference before failing.
func TestLiveViewColumns(t *testing.T) {
	dsn := os.Getenv("EJOPS_LIVE_JOB_DB")
	if dsn == "" {
		t.Skip("EJOPS_LIVE_JOB_DB is not set: no real job database to test against (see README.md)")
	}
	db := open(t, dsn)
	documented := documentedViews(t)
	var ids []string
	for _, v := range documented {
		ids = append(ids, "OBJECT_ID("+QuoteString(v.View)+")")
	}
	rows, err := db.sql.QueryContext(t.Context(), fmt.Sprintf(catalogQuery, strings.Join(ids, ", ")))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	live := map[string][]viewColumn{}
	for rows.Next() {
		var view, name, typ string
		var length, scale int
		if err := rows.Scan(&view, &name, &typ, &length, &scale); err != nil {
			t.Fatal(err)
		}
		live[view] = append(live[view], viewColumn{name, catalogType(typ, length, scale)})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if d := viewDifferences(documented, live); len(d) > 0 {
		t.Fatalf("%d differences between the job database and testdata/views.json:\n%s", len(d), strings.Join(d, "\n"))
	}
}
