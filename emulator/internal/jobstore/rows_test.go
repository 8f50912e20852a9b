package jobstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// inventory creates ejops.inv (scope, kind, name primary key; hash) with n rows named n0000 …
// in scope "s", kind "job", hash "h0".
func inventory(t testing.TB, s *Session, n int) {
	t.Helper()
	if err := s.CreateSchema("ejops"); err != nil {
		t.Fatal(err)
	}
	cols := []ColumnDef{{Name: "scope", Type: nvarchar(128), PrimaryKey: true}, {Name: "kind", Type: nvarchar(32), PrimaryKey: true},
		{Name: "name", Type: nvarchar(128), PrimaryKey: true}, {Name: "hash", Type: nvarchar(64)}}
	if err := s.CreateTable("ejops", "inv", cols); err != nil {
		t.Fatal(err)
	}
	rows := make([][]sqlval.Value, n)
	for i := range rows {
		rows[i] = []sqlval.Value{"s", "job", fmt.Sprintf("n%04d", i), "h0"}
	}
	if _, err := s.Insert("ejops.inv", nil, rows); err != nil {
		t.Fatal(err)
	}
}

// byKey matches the inventory row (s, job, name) and counts the rows it tests.
func byKey(name any, tested *int) Match {
	return Match{
		Where: func(r []sqlval.Value) (bool, *sqlval.Error) {
			*tested++
			return r[0] == "s" && r[1] == "job" && sqlval.FoldKey(r[2].(string)) == sqlval.FoldKey(fmt.Sprint(name)), nil
		},
		Equal: map[int]sqlval.Value{0: "s", 1: "job", 2: name},
	}
}

func setHash(h string) func([]sqlval.Value) ([]sqlval.Value, *sqlval.Error) {
	return func(r []sqlval.Value) ([]sqlval.Value, *sqlval.Error) { r[3] = h; return r, nil }
}

// An UPDATE or DELETE whose WHERE gives the whole primary key tests one row, not all of them;
// without the whole key, or with a value of another type, it tests every row.
func TestUpdateAndDeleteSeekByKey(t *testing.T) {
	s := openTest(t).NewSession()
	inventory(t, s, 1000)
	for _, tc := range []struct {
		name   any
		equal  func(Match) Match
		tested int
	}{
		{"n0042", nil, 1},
		{"N0042  ", nil, 1}, // the collation ignores case and trailing spaces
		{"n9999", nil, 0},
		{"n0042", func(m Match) Match { delete(m.Equal, 0); return m }, 1000},
		{"n0042", func(m Match) Match { m.Equal = nil; return m }, 1000},
		{"n0042", func(m Match) Match { m.Equal[2] = int64(42); return m }, 1000},
	} {
		tested := 0
		m := byKey(tc.name, &tested)
		if tc.equal != nil {
			m = tc.equal(m)
		}
		n, err := s.UpdateMatching("ejops.inv", m, setHash("h1"))
		if err != nil {
			t.Fatal(err)
		}
		if tested != tc.tested {
			t.Errorf("%v: %d rows tested, want %d", tc.name, tested, tc.tested)
		}
		if want := min(int64(tc.tested), 1); n != want && tc.name != "n9999" {
			t.Errorf("%v: %d rows updated", tc.name, n)
		}
	}
	tested := 0
	if n, err := s.DeleteMatching("ejops.inv", byKey("n0007", &tested)); err != nil || n != 1 || tested != 1 {
		t.Fatalf("delete by key: %d rows, %d tested, %v", n, tested, err)
	}
	r := rel(t, s, "ejops.inv")
	eq(t, len(r.Rows), 999)
	eq(t, rowsOf(t, &Relation{Columns: r.Columns, Rows: r.Rows[6:9]}, "name", "hash"), []string{"n0006|h0", "n0008|h0", "n0009|h0"})
	eq(t, rowsOf(t, &Relation{Columns: r.Columns, Rows: r.Rows[41:42]}, "name", "hash"), []string{"n0042|h1"})
}

// Inside a transaction a table is changed in place after its first copy: statements see each
// other's changes in order, keys freed by a DELETE can be taken again, earlier reads keep what
// they read, a rollback leaves nothing, and a commit keeps the rows in order across a reload.
func TestTableWritesInATransaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	db, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	s := db.NewSession()
	inventory(t, s, 5)
	ctx := context.Background()
	for _, commit := range []bool{false, true} {
		if err := s.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		before := rel(t, s, "ejops.inv")
		var tested int
		if _, err := s.DeleteMatching("ejops.inv", byKey("n0001", &tested)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Insert("ejops.inv", nil, [][]sqlval.Value{{"s", "job", "n0001", "again"}, {"s", "job", "n0009", "new"}}); err != nil {
			t.Fatal(err)
		}
		_, err := s.Insert("ejops.inv", nil, [][]sqlval.Value{{"s", "job", "n0010", "x"}, {"s", "job", "N0009", "dup"}})
		wantErr(t, err, 2627, "Violation of PRIMARY KEY constraint 'PK_inv'. Cannot insert duplicate key in object 'ejops.inv'. The duplicate key value is (s, job, N0009).")
		// Moving n0002 onto n0003 fails; swapping them does not.
		_, err = s.UpdateMatching("ejops.inv", byKey("n0002", &tested), func(r []sqlval.Value) ([]sqlval.Value, *sqlval.Error) {
			r[2] = "n0003"
			return r, nil
		})
		wantErr(t, err, 2627, "Violation of PRIMARY KEY constraint 'PK_inv'. Cannot insert duplicate key in object 'ejops.inv'. The duplicate key value is (s, job, n0003).")
		swap := func(r []sqlval.Value) ([]sqlval.Value, *sqlval.Error) {
			r[2] = map[string]string{"n0002": "n0003", "n0003": "n0002"}[r[2].(string)]
			return r, nil
		}
		pair := func(r []sqlval.Value) (bool, *sqlval.Error) { return r[2] == "n0002" || r[2] == "n0003", nil }
		if n, err := s.Update("ejops.inv", pair, swap); err != nil || n != 2 {
			t.Fatalf("swap: %d, %v", n, err)
		}
		if n, err := s.UpdateMatching("ejops.inv", byKey("n0002", &tested), setHash("swapped")); err != nil || n != 1 {
			t.Fatalf("update the swapped row by key: %d, %v", n, err)
		}
		eq(t, rowsOf(t, before, "name", "hash"), []string{"n0000|h0", "n0001|h0", "n0002|h0", "n0003|h0", "n0004|h0"})
		want := []string{"n0000|h0", "n0003|h0", "n0002|swapped", "n0004|h0", "n0001|again", "n0009|new"}
		eq(t, rowsOf(t, rel(t, s, "ejops.inv"), "name", "hash"), want)
		if !commit {
			if err := s.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			eq(t, rowsOf(t, rel(t, s, "ejops.inv"), "name", "hash"), rowsOf(t, before, "name", "hash"))
			continue
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		db.Close()
		var oerr error
		if db, oerr = Open(Options{StatePath: path}); oerr != nil {
			t.Fatal(oerr)
		}
		s = db.NewSession()
		eq(t, rowsOf(t, rel(t, s, "ejops.inv"), "name", "hash"), want)
		tested = 0
		if n, err := s.UpdateMatching("ejops.inv", byKey("n0009", &tested), setHash("reloaded")); err != nil || n != 1 || tested != 1 {
			t.Fatalf("seek after a reload: %d rows, %d tested, %v", n, tested, err)
		}
	}
	db.Close()
}
