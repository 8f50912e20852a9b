package agent

import (
	"strings"
	"testing"
)

func TestParseFleetTargetFields(t *testing.T) {
	f, err := ParseFleet("f.yaml", []byte(`servers:
  - name: s
    unreachable: true
    databases:
      - name: reports
        execute: true
        tables:
          - name: dbo.tenant_sizes
            columns: [internal_execution_id, database_name, data_mb]
            indexes: [[internal_execution_id]]
          - name: plain
            columns: [a]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Server("S.database.windows.net")
	if s == nil || !s.Unreachable {
		t.Fatalf("server = %+v", s)
	}
	d, pool, ok := s.Database("REPORTS")
	if !ok || pool != "" || !d.Execute || len(d.Tables) != 2 {
		t.Fatalf("database = %+v", d)
	}
	if tb := d.Tables[0]; tb.Schema != "dbo" || tb.Name != "tenant_sizes" || len(tb.Columns) != 3 || len(tb.Indexes) != 1 || tb.Indexes[0][0] != "internal_execution_id" {
		t.Errorf("table = %+v", tb)
	}
	if tb := d.Tables[1]; tb.Schema != "dbo" || tb.Name != "plain" {
		t.Errorf("table = %+v", tb)
	}
	for src, want := range map[string]string{
		"servers:\n  - name: s\n    unreachable: yes please\n":                                                                       `f.yaml:3:18: unreachable must be true or false`,
		"servers:\n  - name: s\n    databases:\n      - {name: d, tables: [{name: t}]}\n":                                            `table "t" needs columns`,
		"servers:\n  - name: s\n    databases:\n      - {name: d, tables: [{name: t, columns: [a], indexes: [[b]]}]}\n":              `index column "b" is not a column of table dbo.t`,
		"servers:\n  - name: s\n    databases:\n      - {name: d, tables: [{name: t, columns: [a]}, {name: dbo.T, columns: [a]}]}\n": `table dbo.T is declared twice`,
		"servers:\n  - name: s\n    databases:\n      - {name: d, execute: 1}\n":                                                     `execute must be true or false`,
	} {
		if _, err := ParseFleet("f.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}

// An unreachable server fails the enumeration of its members and the attempts on its databases
// with the network error, while the other servers run.
func TestUnreachableServer(t *testing.T) {
	s := newStack(t, &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{
		{Name: "down", Unreachable: true, Databases: []Database{{Name: "a"}}, ElasticPools: []ElasticPool{{Name: "p", Databases: []Database{{Name: "b"}}}}},
		{Name: "up", Databases: []Database{{Name: "c"}}},
	}})
	s.group("g", "Include SqlServer down", "Include SqlElasticPool down p", "Include SqlDatabase down a", "Include SqlDatabase up c")
	s.job("j", "one g @retry_attempts = 0")
	id := s.start("j")
	s.advance(0)
	rows := s.tree(id)
	want := "1 SqlDatabase a Failed " + NetworkError + "\n1 SqlDatabase c Succeeded \n"
	if got := summary(targets(rows, 1)); got != want {
		t.Errorf("targets:\n%s\nwant:\n%s", got, want)
	}
	enums := 0
	for _, r := range rows {
		if r.Type == "SqlServer" || r.Type == "SqlElasticPool" {
			enums++
			if r.Lifecycle != "Failed" || r.Message != "Failed to enumerate databases: "+NetworkError {
				t.Errorf("enumeration row = %s", r)
			}
		}
	}
	if enums != 2 {
		t.Errorf("%d enumeration rows, want 2", enums)
	}
}
