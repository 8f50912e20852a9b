package jobstore

import (
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// ColumnDef defines a column of a user table. Type.Nullable says whether it accepts NULL (primary
// key columns never do). Default is a constant default; DefaultExpr, when set, is the T-SQL text
// of a default evaluated at every insert (such as SYSUTCDATETIME()), which the caller of Insert
// evaluates and passes as a value.
type ColumnDef struct {
	Name        string
	Type        sqlval.Column
	PrimaryKey  bool
	Default     sqlval.Value
	DefaultExpr string
}

// table is a plain user table. A row is never changed in place: a write replaces it. How a
// transaction writes a table is in rows.go.
type table struct {
	ID      int64
	Schema  string
	Name    string
	Cols    []ColumnDef
	Rows    [][]sqlval.Value // nil entries: rows deleted by the transaction that owns the table
	Created time.Time

	keys map[string]int // primary key (rowKey) → index in Rows; nil without a primary key or index
	dead int            // nil entries in Rows
}

// Schemas that every job database has; user schemas are numbered after them.
var builtinSchemas = []string{"dbo", "guest", "INFORMATION_SCHEMA", "sys", "jobs", "jobs_internal"}

func (st *state) schemaExists(name string) bool {
	for _, b := range builtinSchemas {
		if fold(b) == fold(name) {
			return true
		}
	}
	_, ok := st.Schemas[fold(name)]
	return ok
}

// checkIdent rejects identifiers longer than sysname allows.
func checkIdent(names ...string) *sqlval.Error {
	for _, n := range names {
		if sqlval.CharLen(n) > 128 {
			e := sqlval.Errorf(103, "The identifier that starts with '%s' is too long. Maximum length is 128.", sqlval.Truncate(n, 128))
			e.Class = 15
			return e
		}
	}
	return nil
}

// CreateSchema creates a schema; 2714 if it exists.
func (s *Session) CreateSchema(name string) *sqlval.Error {
	if err := checkIdent(name); err != nil {
		return err
	}
	return s.write(s.ctx, false, func(w *state) *sqlval.Error {
		if w.schemaExists(name) {
			return sqlval.Errorf(2714, "There is already an object named '%s' in the database.", name)
		}
		w.schemasW()[fold(name)] = &schemaDef{ID: int64(len(builtinSchemas)) + w.nextSeq(), Name: name}
		return nil
	})
}

// CreateTable creates a user table; 2714 if it exists, 2760 if the schema does not.
func (s *Session) CreateTable(schema, name string, cols []ColumnDef) *sqlval.Error {
	if err := checkIdent(schema, name); err != nil {
		return err
	}
	for _, c := range cols {
		if err := checkIdent(c.Name); err != nil {
			return err
		}
	}
	return s.write(s.ctx, false, func(w *state) *sqlval.Error {
		if fold(schema) == "jobs" || fold(schema) == "jobs_internal" || fold(schema) == "sys" {
			return sqlval.Errorf(2760, "The specified schema name \"%s\" either does not exist or you do not have permission to use it.", schema)
		}
		if !w.schemaExists(schema) {
			return sqlval.Errorf(2760, "The specified schema name \"%s\" either does not exist or you do not have permission to use it.", schema)
		}
		key := fold(schema + "." + name)
		if _, ok := w.Tables[key]; ok {
			return sqlval.Errorf(2714, "There is already an object named '%s' in the database.", name)
		}
		if len(cols) == 0 {
			return sqlval.Errorf(4901, "Table '%s' must have at least one column.", name)
		}
		seen := map[string]bool{}
		defs := make([]ColumnDef, len(cols))
		for i, c := range cols {
			if seen[fold(c.Name)] {
				return sqlval.Errorf(2705, "Column names in each table must be unique. Column name '%s' in table '%s' is specified more than once.", c.Name, name)
			}
			seen[fold(c.Name)] = true
			if c.PrimaryKey {
				c.Type.Nullable = false
			}
			if c.Default != nil {
				v, err := sqlval.Convert(c.Default, c.Type)
				if err != nil {
					return err
				}
				c.Default = v
			}
			defs[i] = c
		}
		w.tablesW()[key] = &table{ID: w.nextSeq(), Schema: schema, Name: name, Cols: defs, Created: s.db.now().UTC()}
		return nil
	})
}

// TableColumns returns the column definitions of a user table ("schema.name"; "dbo." when
// unqualified); 208 if there is none.
func (s *Session) TableColumns(name string) ([]ColumnDef, *sqlval.Error) {
	t, err := s.read().table(name)
	if err != nil {
		return nil, err
	}
	return append([]ColumnDef(nil), t.Cols...), nil
}

// DropTable drops a user table ("schema.name"; "dbo." when unqualified).
func (s *Session) DropTable(name string) *sqlval.Error {
	return s.write(s.ctx, false, func(w *state) *sqlval.Error {
		key := tableKey(name)
		if _, ok := w.Tables[key]; !ok {
			return sqlval.Errorf(3701, "Cannot drop the table '%s', because it does not exist or you do not have permission.", name)
		}
		delete(w.tablesW(), key)
		return nil
	})
}

func tableKey(name string) string {
	if !strings.Contains(name, ".") {
		name = "dbo." + name
	}
	return fold(name)
}

func (w *state) table(name string) (*table, *sqlval.Error) {
	t := w.Tables[tableKey(name)]
	if t == nil {
		return nil, sqlval.Errorf(208, "Invalid object name '%s'.", name)
	}
	return t, nil
}

// ViewWriteError returns the error an INSERT, UPDATE or DELETE on the view name gets, or nil when
// name is no view: [D] a view is updatable only when the modification affects one base table
// ("CREATE VIEW (Transact-SQL)", section "Updatable views",
// https://learn.microsoft.com/sql/t-sql/statements/create-view-transact-sql), and the jobs views
// join several jobs_internal tables [I]; catalog views are never written ("System catalog
// views", https://learn.microsoft.com/sql/relational-databases/system-catalog-views/catalog-views-transact-sql).
// [U] The numbers (4405, 259) are SQL Server's for those cases, not seen on a job database.
func ViewWriteError(name string) *sqlval.Error {
	view := strings.ToLower(strings.TrimSpace(name))
	if _, ok := viewCols[view]; !ok {
		return nil
	}
	if strings.HasPrefix(view, "sys.") {
		return sqlval.Errorf(259, "Ad hoc updates to system catalogs are not allowed.")
	}
	return sqlval.Errorf(4405, "View or function '%s' is not updatable because the modification affects multiple base tables.", name)
}

// checkRow converts a row to the column types and checks NULLs and lengths.
func (t *table) checkRow(row []sqlval.Value, stmt string, dbName string) *sqlval.Error {
	for i, c := range t.Cols {
		v, err := sqlval.Convert(row[i], c.Type)
		if err != nil {
			return err
		}
		if v == nil && !c.Type.Nullable {
			e := sqlval.Errorf(515, "Cannot insert the value NULL into column '%s', table '%s.%s.%s'; column does not allow nulls. %s fails.", c.Name, dbName, t.Schema, t.Name, stmt)
			e.State = 2
			return e
		}
		if sv, ok := v.(string); ok && c.Type.Size > 0 && sqlval.CharLen(sv) > c.Type.Size {
			return sqlval.Errorf(8152, "String or binary data would be truncated.")
		}
		if bv, ok := v.([]byte); ok && c.Type.Size > 0 && len(bv) > c.Type.Size {
			return sqlval.Errorf(8152, "String or binary data would be truncated.")
		}
		row[i] = v
	}
	return nil
}

// displayValue is v as error messages show it.
func displayValue(v sqlval.Value) any {
	switch x := v.(type) {
	case sqlval.UUID:
		return x.String()
	case time.Time:
		return x.Format("2006-01-02 15:04:05.0000000")
	case bool:
		if x {
			return 1
		}
		return 0
	}
	return v
}

// InsertColumns is the column list of an INSERT bound to a table: the index of the column each
// value of a VALUES row goes to.
type InsertColumns []int

// BindInsert binds an INSERT's column list to a table's columns; without a list (names empty)
// the values go to every column in order. Column names compare under the database collation,
// case-insensitively and ignoring trailing spaces (see SameName): 207 for a name the table does
// not have, 264 for a column listed twice.
func BindInsert(defs []ColumnDef, names []string) (InsertColumns, *sqlval.Error) {
	idx := make(InsertColumns, 0, len(defs))
	if len(names) == 0 {
		for i := range defs {
			idx = append(idx, i)
		}
		return idx, nil
	}
	used := make([]bool, len(defs))
	for _, name := range names {
		j := -1
		for i, d := range defs {
			if SameName(d.Name, name) {
				j = i
				break
			}
		}
		if j < 0 {
			return nil, sqlval.Errorf(207, "Invalid column name '%s'.", name)
		}
		if used[j] {
			return nil, sqlval.Errorf(264, "The column name '%s' is specified more than once in the SET clause or column list of an INSERT. A column cannot be assigned more than one value in the same clause. Modify the clause to make sure that a column is updated only once. If this statement updates or inserts columns into a view, column aliasing can conceal the duplication.", name)
		}
		used[j] = true
		idx = append(idx, j)
	}
	return idx, nil
}

// CheckValues checks that a VALUES row of n values has one value per listed column (109, 110).
func (ic InsertColumns) CheckValues(n int) *sqlval.Error {
	switch {
	case n > len(ic):
		return sqlval.Errorf(110, "There are fewer columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement.")
	case n < len(ic):
		return sqlval.Errorf(109, "There are more columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement.")
	}
	return nil
}

// Insert adds rows to a table, all or none. cols names the columns given (nil = all, in order;
// see BindInsert); others take their constant default or NULL.
func (s *Session) Insert(name string, cols []string, rows [][]sqlval.Value) (int64, *sqlval.Error) {
	var n int64
	err := s.write(s.ctx, false, func(w *state) *sqlval.Error {
		t, err := w.tableW(name)
		if err != nil {
			return err
		}
		idx, err := BindInsert(t.Cols, cols)
		if err != nil {
			return err
		}
		added := make([]change, 0, len(rows))
		for _, r := range rows {
			if err := idx.CheckValues(len(r)); err != nil {
				return err
			}
			row := make([]sqlval.Value, len(t.Cols))
			given := make([]bool, len(t.Cols))
			for k, j := range idx {
				row[j], given[j] = r[k], true
			}
			for i, c := range t.Cols {
				if !given[i] {
					row[i] = c.Default
				}
			}
			if err := t.checkRow(row, "INSERT", s.db.dbName); err != nil {
				return err
			}
			added = append(added, change{i: -1, row: row})
		}
		if err := t.checkKeys(added); err != nil {
			return err
		}
		t.apply(added)
		n = int64(len(added))
		return nil
	})
	return n, err
}

// Update replaces every row matching where with set(row). Rows passed to the callbacks are copies.
func (s *Session) Update(name string, where func(row []sqlval.Value) (bool, *sqlval.Error), set func(row []sqlval.Value) ([]sqlval.Value, *sqlval.Error)) (int64, *sqlval.Error) {
	return s.UpdateMatching(name, Match{Where: where}, set)
}

// UpdateMatching replaces every row that m matches with set(row), all or none. Rows passed to
// the callbacks are copies.
func (s *Session) UpdateMatching(name string, m Match, set func(row []sqlval.Value) ([]sqlval.Value, *sqlval.Error)) (int64, *sqlval.Error) {
	var n int64
	err := s.write(s.ctx, false, func(w *state) *sqlval.Error {
		t, err := w.tableW(name)
		if err != nil {
			return err
		}
		var changes []change
		err = t.matching(m, func(i int) *sqlval.Error {
			nr, err := set(append([]sqlval.Value(nil), t.Rows[i]...))
			if err != nil {
				return err
			}
			if len(nr) != len(t.Cols) {
				return sqlval.Errorf(213, "Column name or number of supplied values does not match table definition.")
			}
			nr = append([]sqlval.Value(nil), nr...)
			if err := t.checkRow(nr, "UPDATE", s.db.dbName); err != nil {
				return err
			}
			changes = append(changes, change{i: i, row: nr})
			return nil
		})
		if err != nil {
			return err
		}
		if err := t.checkKeys(changes); err != nil {
			return err
		}
		t.apply(changes)
		n = int64(len(changes))
		return nil
	})
	return n, err
}

// Delete removes every row matching where.
func (s *Session) Delete(name string, where func(row []sqlval.Value) (bool, *sqlval.Error)) (int64, *sqlval.Error) {
	return s.DeleteMatching(name, Match{Where: where})
}

// DeleteMatching removes every row that m matches, all or none.
func (s *Session) DeleteMatching(name string, m Match) (int64, *sqlval.Error) {
	var n int64
	err := s.write(s.ctx, false, func(w *state) *sqlval.Error {
		t, err := w.tableW(name)
		if err != nil {
			return err
		}
		var gone []int
		if err := t.matching(m, func(i int) *sqlval.Error {
			gone = append(gone, i)
			return nil
		}); err != nil {
			return err
		}
		t.remove(gone)
		n = int64(len(gone))
		return nil
	})
	return n, err
}
