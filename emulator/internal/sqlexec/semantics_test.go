package sqlexec

import (
	"testing"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func TestMultiRowInsertIsAtomic(t *testing.T) {
	s := newSession(t)
	got := render(s.Batch(t.Context(), `CREATE TABLE dbo.t (a int PRIMARY KEY, b int DEFAULT 7);
		INSERT dbo.t (a, b) VALUES (1, DEFAULT), (1, 2); SELECT COUNT(*) FROM dbo.t;
		INSERT dbo.t (a, b) VALUES (1, DEFAULT), (2, 3), (3, DEFAULT); SELECT a, b FROM dbo.t ORDER BY a`))
	want := `error 2627 "Violation of PRIMARY KEY constraint 'PK_t'. Cannot insert duplicate key in object 'dbo.t'. The duplicate key value is (1).";[][0];` +
		`rows 3;[a,b][1 7][2 3][3 7];`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestErrorResetBySuccess(t *testing.T) {
	cases := []struct{ name, sql, want string }{
		{"success resets", "CREATE TABLE k (a int PRIMARY KEY); INSERT k VALUES (1); INSERT k VALUES (1); SELECT @@ERROR; SELECT @@ERROR",
			`rows 1;error 2627 "Violation of PRIMARY KEY constraint 'PK_k'. Cannot insert duplicate key in object 'dbo.k'. The duplicate key value is (1).";[][2627];[][0];`},
		{"raiserror sets it for the next statement", "RAISERROR('e', 16, 1); PRINT 'x'; SELECT @@ERROR",
			`error 50000 "e";info "x";[][0];`},
		{"informational raiserror clears it", "RAISERROR('e', 16, 1); RAISERROR('i', 10, 1); SELECT @@ERROR",
			`error 50000 "e";info "i";[][0];`},
		{"if resets it for its branch", "RAISERROR('e', 16, 1); IF @@ERROR <> 0 SELECT @@ERROR",
			`error 50000 "e";[][0];`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(newSession(t).Batch(t.Context(), tc.sql)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestRealIsFourBytes(t *testing.T) {
	for _, decl := range []string{"REAL", "FLOAT(24)", "float(1)"} {
		rep := newSession(t).Batch(t.Context(), "DECLARE @x "+decl+" = 0.1; SELECT @x")
		if rep.Err != nil || len(rep.Items) != 1 {
			t.Fatalf("%s: %s", decl, render(rep))
		}
		set := rep.Items[0].Set
		if c := set.Columns[0]; c.Type != sqlval.Float || c.Size != 4 {
			t.Errorf("%s: column %+v, want a 4-byte float", decl, c)
		}
		if v := set.Rows[0][0]; v != float64(float32(0.1)) {
			t.Errorf("%s: value %v, want %v", decl, v, float64(float32(0.1)))
		}
	}
	rep := newSession(t).Batch(t.Context(), "DECLARE @x FLOAT(25) = 0.1; SELECT @x")
	if c := rep.Items[0].Set.Columns[0]; c.Size == 4 || rep.Items[0].Set.Rows[0][0] != 0.1 {
		t.Errorf("FLOAT(25): column %+v value %v, want an 8-byte float", c, rep.Items[0].Set.Rows[0][0])
	}
}

// FuzzParseExpr checks that parseExpr never panics and that the text of every column default
// kept for evaluation at insert parses on its own.
func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{"SYSUTCDATETIME()", "(NEWID())", "CAST(N'x' AS nvarchar(3)) + 'y'", "-1", "1 +", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_, _ = parseExpr(src)
		stmts, err := Parse("CREATE TABLE t (a int DEFAULT " + src + ")")
		if err != nil || len(stmts) != 1 {
			return
		}
		ct, ok := stmts[0].(*CreateTableStmt)
		if !ok {
			return
		}
		for _, c := range ct.Cols {
			if c.Default == nil || !isStorable(c.Default) {
				continue
			}
			if _, err := parseExpr(c.DefaultText); err != nil {
				t.Fatalf("default %q of %q does not parse: %v", c.DefaultText, src, err)
			}
		}
	})
}

// TestInsertColumnsBindLikeTheModel checks that an INSERT column list binds the same way in T-SQL
// and through the model's Insert: case-insensitively and ignoring trailing spaces, as SQL Server
// compares column names under the default collation. UPDATE and SELECT find the same columns.
func TestInsertColumnsBindLikeTheModel(t *testing.T) {
	cases := []struct {
		name string
		cols []string
		want int32 // error number, 0 for success
	}{
		{"exact", []string{"id", "name"}, 0},
		{"other case", []string{"ID", "NAME"}, 0},
		{"trailing spaces", []string{"id ", "Name  "}, 0},
		{"listed twice", []string{"name", "NAME "}, 264},
		{"unknown", []string{"id", "nom"}, 207},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t)
			if rep := s.Batch(t.Context(), "CREATE TABLE dbo.t (id int, name nvarchar(10))"); rep.Err != nil {
				t.Fatal(rep.Err)
			}
			sql := "INSERT dbo.t ([" + tc.cols[0] + "], [" + tc.cols[1] + "]) VALUES (1, 'a')"
			var viaSQL, viaModel int32
			if rep := s.Batch(t.Context(), sql); rep.Err != nil {
				viaSQL = rep.Err.Number
			}
			if _, err := s.db.Insert("dbo.t", tc.cols, [][]sqlval.Value{{int64(2), "b"}}); err != nil {
				viaModel = err.Number
			}
			if viaSQL != tc.want || viaModel != tc.want {
				t.Fatalf("%s: T-SQL gave %d, the model %d, want %d", sql, viaSQL, viaModel, tc.want)
			}
			if tc.want != 0 {
				return
			}
			q := "UPDATE dbo.t SET [" + tc.cols[1] + "] = 'c' WHERE [" + tc.cols[0] + "] = 1; SELECT [" + tc.cols[1] + "] FROM dbo.t ORDER BY [" + tc.cols[0] + "]"
			got := render(s.Batch(t.Context(), q))
			if want := "rows 1;[name][c][b];"; got != want {
				t.Errorf("%s\ngot  %s\nwant %s", q, got, want)
			}
		})
	}
}
