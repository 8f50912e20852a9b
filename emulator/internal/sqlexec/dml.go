package sqlexec

import (
	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// insert runs INSERT … VALUES. Every row is completed here, with columns left out or given as
// DEFAULT taking their default (an expression default such as SYSUTCDATETIME() or NEWID() is
// evaluated per row), and the rows go to the model in one call, so the statement inserts all
// of them or none.
func (b *batch) insert(x *InsertStmt) *sqlval.Error {
	name := tableName(x.Table)
	if err := jobstore.ViewWriteError(name); err != nil {
		return err
	}
	if _, err := b.s.columns(x.Table); err != nil {
		return err
	}
	defs, err := b.s.db.TableColumns(name)
	if err != nil {
		return err
	}
	idx, err := jobstore.BindInsert(defs, x.Cols)
	if err != nil {
		return err
	}
	dynamic := make([]Expr, len(defs))
	for i, d := range defs {
		if d.DefaultExpr == "" {
			continue
		}
		if dynamic[i], err = parseExpr(d.DefaultExpr); err != nil {
			return err
		}
	}
	deflt := func(i int) (sqlval.Value, *sqlval.Error) {
		if dynamic[i] == nil {
			return defs[i].Default, nil
		}
		return b.eval(dynamic[i], nil)
	}
	rows := make([][]sqlval.Value, 0, len(x.Rows))
	for _, r := range x.Rows {
		if err := idx.CheckValues(len(r)); err != nil {
			return err
		}
		row := make([]sqlval.Value, len(defs))
		given := make([]bool, len(defs))
		for k, e := range r {
			j := idx[k]
			if e == nil {
				continue // DEFAULT
			}
			v, err := b.eval(e, nil)
			if err != nil {
				return err
			}
			row[j], given[j] = v, true
		}
		for i := range defs {
			if !given[i] {
				v, err := deflt(i)
				if err != nil {
					return err
				}
				row[i] = v
			}
		}
		rows = append(rows, row)
	}
	n, err := b.s.db.Insert(name, nil, rows)
	if err != nil {
		return err
	}
	b.rowsAffected(n)
	return nil
}

// rowsAffected sets @@ROWCOUNT and, unless NOCOUNT is on, reports the count to the client.
func (b *batch) rowsAffected(n int64) {
	b.s.rowCount = n
	if !b.s.nocount {
		b.s.emit(sqlval.Item{Kind: sqlval.ItemRowCount, Count: n})
	}
}

// match binds a WHERE condition to a table's columns: the rows an UPDATE or DELETE changes.
func (b *batch) match(cols []sqlval.Column, t TableRef, where Cond) (jobstore.Match, *sqlval.Error) {
	if where == nil {
		return jobstore.Match{}, nil
	}
	if err := bindCond(where, newScope(t, cols)); err != nil {
		return jobstore.Match{}, err
	}
	return jobstore.Match{
		Where: func(vals []sqlval.Value) (bool, *sqlval.Error) {
			v, err := b.test(where, &row{cols: cols, vals: vals})
			return v == triTrue, err
		},
		Equal: b.equalities(where),
	}, nil
}

// equalities returns, by column index, the values of the "column = constant" conjuncts of a
// bound condition (see readsNoRow). The model seeks rows by them.
func (b *batch) equalities(c Cond) map[int]sqlval.Value {
	out := map[int]sqlval.Value{}
	var walk func(Cond)
	walk = func(c Cond) {
		switch x := c.(type) {
		case *Logic:
			if x.And {
				walk(x.L)
				walk(x.R)
			}
		case *Compare:
			col, val := x.L, x.R
			if _, ok := col.(*ColRef); !ok {
				col, val = val, col
			}
			ref, ok := col.(*ColRef)
			if x.Op != "=" || !ok || ref.idx < 0 || !readsNoRow(val) {
				return
			}
			if v, err := b.eval(val, nil); err == nil && v != nil {
				out[ref.idx] = v
			}
		}
	}
	walk(c)
	return out
}

// readsNoRow reports whether e has the same value for every row: literals and variables under
// operators and CAST, without columns, functions or subqueries.
func readsNoRow(e Expr) bool {
	return everyNode(e, func(x Expr) bool {
		switch x.(type) {
		case *Literal, *VarRef, *Unary, *Binary, *CastExpr:
			return true
		}
		return false
	})
}

// update runs UPDATE … SET … WHERE; the model applies the changes to all rows or none.
func (b *batch) update(x *UpdateStmt) *sqlval.Error {
	if err := jobstore.ViewWriteError(tableName(x.Table)); err != nil {
		return err
	}
	cols, err := b.s.columns(x.Table)
	if err != nil {
		return err
	}
	m, err := b.match(cols, x.Table, x.Where)
	if err != nil {
		return err
	}
	idx := make([]int, len(x.Sets))
	for i, sc := range x.Sets {
		idx[i] = colIndex(cols, sc.Col)
		if idx[i] < 0 {
			return sqlval.Errorf(207, "Invalid column name '%s'.", sc.Col)
		}
		if err := bindExpr(sc.Value, newScope(x.Table, cols)); err != nil {
			return err
		}
	}
	set := func(vals []sqlval.Value) ([]sqlval.Value, *sqlval.Error) {
		out := append([]sqlval.Value(nil), vals...)
		r := &row{cols: cols, vals: vals}
		for i, sc := range x.Sets {
			v, err := b.eval(sc.Value, r)
			if err != nil {
				return nil, err
			}
			out[idx[i]] = v
		}
		return out, nil
	}
	n, err := b.s.db.UpdateMatching(tableName(x.Table), m, set)
	if err != nil {
		return err
	}
	b.rowsAffected(n)
	return nil
}

// delete runs DELETE … WHERE.
func (b *batch) delete(x *DeleteStmt) *sqlval.Error {
	if err := jobstore.ViewWriteError(tableName(x.Table)); err != nil {
		return err
	}
	cols, err := b.s.columns(x.Table)
	if err != nil {
		return err
	}
	m, err := b.match(cols, x.Table, x.Where)
	if err != nil {
		return err
	}
	n, err := b.s.db.DeleteMatching(tableName(x.Table), m)
	if err != nil {
		return err
	}
	b.rowsAffected(n)
	return nil
}

// colIndex finds a column by name under the database collation (see jobstore.SameName), -1 if
// there is none.
func colIndex(cols []sqlval.Column, name string) int {
	for i, c := range cols {
		if jobstore.SameName(c.Name, name) {
			return i
		}
	}
	return -1
}
