package sqlexec

import (
	"strings"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// tableName renders a table reference as schema.name (dbo by default).
func tableName(t TableRef) string {
	schema := t.Schema
	if schema == "" {
		schema = "dbo"
	}
	return schema + "." + t.Name
}

// relation reads a view or table; 208 names the object as the statement wrote it.
func (s *Session) relation(t TableRef) (*jobstore.Relation, *sqlval.Error) {
	rel, err := s.storeRelation(tableName(t))
	if err != nil {
		return nil, asWritten(t, err)
	}
	if s.hidden(t) {
		rel.Rows = nil
	}
	return rel, nil
}

// columns returns the columns of a view or table, without reading its rows.
func (s *Session) columns(t TableRef) ([]sqlval.Column, *sqlval.Error) {
	cols, err := s.storeColumns(tableName(t))
	return cols, asWritten(t, err)
}

// asWritten makes error 208 name the object as the statement wrote it.
func asWritten(t TableRef, err *sqlval.Error) *sqlval.Error {
	if err == nil || err.Number != 208 {
		return err
	}
	written := t.Name
	if t.Schema != "" {
		written = t.Schema + "." + t.Name
	}
	e := sqlval.Errorf(208, "Invalid object name '%s'.", written)
	e.Line = int32(t.Line)
	return e
}

// selectStmt runs a SELECT: a result set, or variable assignments.
func (b *batch) selectStmt(x *SelectStmt) *sqlval.Error {
	assigns := 0
	for _, it := range x.Items {
		if it.Assign != "" {
			assigns++
		}
	}
	if assigns > 0 && assigns != len(x.Items) {
		return sqlval.Errorf(141, "A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations.")
	}
	set, err := b.query(x)
	if err != nil {
		return err
	}
	b.s.rowCount = int64(len(set.Rows))
	if assigns > 0 {
		for _, r := range set.Rows {
			for i, it := range x.Items {
				if err := b.assign(it.Assign, it.Op, r[i]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	b.s.emit(sqlval.Item{Kind: sqlval.ItemResultSet, Set: set})
	return nil
}

// query evaluates a SELECT into a result set: FROM and joins, WHERE, aggregates, the select
// list, then ORDER BY, DISTINCT and TOP.
func (b *batch) query(x *SelectStmt) (*sqlval.ResultSet, *sqlval.Error) {
	sc, srcRows, err := b.from(x)
	if err != nil {
		return nil, err
	}
	srcCols := sc.cols
	items, err := selectList(x, sc)
	if err != nil {
		return nil, err
	}
	rows, err := b.filter(x.Where, sc, srcRows)
	if err != nil {
		return nil, err
	}
	agg, err := b.aggregateRows(items, srcCols, rows)
	if err != nil {
		return nil, err
	}
	if agg != nil {
		rows = [][]sqlval.Value{nil}
	}
	cols := make([]sqlval.Column, len(items))
	for i, it := range items {
		cols[i] = b.typeOf(it.expr, srcCols)
		cols[i].Name = it.name
	}
	out := rows
	allStar := x.From != nil && len(x.Joins) == 0 && len(x.Items) == 1 && x.Items[0].Star && x.Items[0].Qual == ""
	if !allStar || agg != nil {
		if out, err = b.project(items, srcCols, rows, agg); err != nil {
			return nil, err
		}
	}
	if out, err = b.arrange(x, cols, sc, rows, out, agg); err != nil {
		return nil, err
	}
	fixColumns(cols, items2plain(items), out)
	return &sqlval.ResultSet{Columns: cols, Rows: out}, nil
}

// from reads the FROM table and its joins into a scope and its rows; without FROM there is one
// empty row.
func (b *batch) from(x *SelectStmt) (*scope, [][]sqlval.Value, *sqlval.Error) {
	sc := &scope{}
	if x.From == nil {
		return sc, [][]sqlval.Value{nil}, nil
	}
	rel, err := b.s.relation(*x.From)
	if err != nil {
		return nil, nil, err
	}
	sc.add(*x.From, rel.Columns)
	rows := rel.Rows
	for _, j := range x.Joins {
		if rows, err = b.join(sc, rows, j); err != nil {
			return nil, nil, err
		}
	}
	return sc, rows, nil
}

// selectList expands the stars of the select list and binds its column references and those
// of WHERE.
func selectList(x *SelectStmt, sc *scope) ([]outCol, *sqlval.Error) {
	var items []outCol
	for _, it := range x.Items {
		if it.Star {
			if x.From == nil {
				return nil, sqlval.Errorf(263, "Must specify table to select from.")
			}
			tables := sc.tables
			if it.Qual != "" {
				t, ok := sc.table(it.Qual)
				if !ok {
					return nil, sqlval.Errorf(4104, "The multi-part identifier \"%s\" could not be bound.", it.Qual)
				}
				tables = []scopeTable{t}
			}
			for _, t := range tables {
				for i := t.offset; i < t.offset+t.n; i++ {
					c := sc.cols[i]
					items = append(items, outCol{expr: &ColRef{Name: c.Name, idx: i}, name: c.Name, plain: true})
				}
			}
			continue
		}
		if err := bindExpr(it.Expr, sc); err != nil {
			return nil, err
		}
		oc := outCol{expr: it.Expr, name: it.Alias}
		if c, ok := it.Expr.(*ColRef); ok {
			oc.plain = true
			if oc.name == "" {
				oc.name = sc.cols[c.idx].Name
			}
		}
		items = append(items, oc)
	}
	if x.Where != nil {
		if err := bindCond(x.Where, sc); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// filter keeps the rows for which where is true (all rows without WHERE).
func (b *batch) filter(where Cond, sc *scope, rows [][]sqlval.Value) ([][]sqlval.Value, *sqlval.Error) {
	if where == nil {
		return rows, nil
	}
	kept := make([][]sqlval.Value, 0, len(rows))
	r := &row{cols: sc.cols}
	for _, vals := range rows {
		r.vals = vals
		t, err := b.test(where, r)
		if err != nil {
			return nil, err
		}
		if t == triTrue {
			kept = append(kept, vals)
		}
	}
	return kept, nil
}

// aggregateRows computes the aggregates of the select list over rows; nil when it has none. A
// select list with aggregates may not also name a bare column (there is no GROUP BY).
func (b *batch) aggregateRows(items []outCol, cols []sqlval.Column, rows [][]sqlval.Value) (map[*FuncCall]sqlval.Value, *sqlval.Error) {
	var aggs []*FuncCall
	for _, it := range items {
		collectAggs(it.expr, &aggs)
	}
	if len(aggs) == 0 {
		return nil, nil
	}
	for _, it := range items {
		if c := bareColumn(it.expr); c != nil {
			return nil, sqlval.Errorf(8120, "Column '%s' is invalid in the select list because it is not contained in either an aggregate function or the GROUP BY clause.", c.Name)
		}
	}
	return b.aggregate(aggs, cols, rows)
}

// project evaluates the select list over each row.
func (b *batch) project(items []outCol, srcCols []sqlval.Column, rows [][]sqlval.Value, agg map[*FuncCall]sqlval.Value) ([][]sqlval.Value, *sqlval.Error) {
	out := make([][]sqlval.Value, len(rows))
	r := &row{cols: srcCols, agg: agg}
	for k, vals := range rows {
		r.vals = vals
		o := make([]sqlval.Value, len(items))
		for i, it := range items {
			if it.plain {
				o[i] = vals[it.expr.(*ColRef).idx]
				continue
			}
			v, err := b.eval(it.expr, r)
			if err != nil {
				return nil, err
			}
			o[i] = v
		}
		out[k] = o
	}
	return out, nil
}

// outCol is one output column of a select list.
type outCol struct {
	expr  Expr
	name  string
	plain bool // a bare column: values already have the column's type
}

// items2plain reports which output columns are bare columns.
func items2plain(items []outCol) []bool {
	out := make([]bool, len(items))
	for i, it := range items {
		out[i] = it.plain
	}
	return out
}

// fixColumns makes the metadata fit the values: unknown types take the first value's type,
// values of computed columns are converted to the column type, and bounded strings widen.
func fixColumns(cols []sqlval.Column, plain []bool, rows [][]sqlval.Value) {
	for i := range cols {
		c := &cols[i]
		if c.Type == sqlval.Null {
			c.Type = sqlval.Int
			for _, r := range rows {
				if r[i] != nil {
					t := sqlval.ValueType(r[i])
					c.Type, c.Size = t.Type, t.Size
					break
				}
			}
		}
		if !plain[i] {
			for _, r := range rows {
				if r[i] == nil {
					continue
				}
				if cv, err := convert(r[i], sqlval.Column{Type: c.Type, Size: sqlval.Max}); err == nil {
					r[i] = cv
				}
			}
		}
		switch c.Type {
		case sqlval.NVarChar:
			if c.Size == sqlval.Max {
				continue
			}
			for _, r := range rows {
				if s, ok := r[i].(string); ok {
					if n := sqlval.CharLen(s); n > c.Size {
						c.Size = n
					}
				}
			}
			if c.Size > 4000 {
				c.Size = sqlval.Max
			}
			if c.Size < 1 {
				c.Size = 1
			}
		case sqlval.VarBinary:
			if c.Size == sqlval.Max {
				continue
			}
			for _, r := range rows {
				if bs, ok := r[i].([]byte); ok && len(bs) > c.Size {
					c.Size = len(bs)
				}
			}
			if c.Size > 8000 {
				c.Size = sqlval.Max
			}
			if c.Size < 1 {
				c.Size = 1
			}
		}
	}
}

// aggregate computes the aggregate calls over rows.
func (b *batch) aggregate(aggs []*FuncCall, cols []sqlval.Column, rows [][]sqlval.Value) (map[*FuncCall]sqlval.Value, *sqlval.Error) {
	res := map[*FuncCall]sqlval.Value{}
	r := &row{cols: cols}
	for _, f := range aggs {
		if f.Star && f.Name != "COUNT" && f.Name != "COUNT_BIG" || !f.Star && len(f.Args) != 1 {
			return nil, sqlval.Errorf(174, "The %s function requires 1 argument(s).", strings.ToLower(f.Name))
		}
		if f.Star {
			res[f] = int64(len(rows))
			continue
		}
		var count int64
		var acc sqlval.Value
		for _, vals := range rows {
			r.vals = vals
			v, err := b.eval(f.Args[0], r)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			count++
			switch f.Name {
			case "MAX", "MIN":
				if acc == nil {
					acc = v
					continue
				}
				n, err := compare(v, acc)
				if err != nil {
					return nil, err
				}
				if (f.Name == "MAX" && n > 0) || (f.Name == "MIN" && n < 0) {
					acc = v
				}
			case "SUM":
				if acc == nil {
					acc = v
					continue
				}
				if acc, err = arith("+", acc, v, true); err != nil {
					return nil, err
				}
			}
		}
		if f.Name == "COUNT" || f.Name == "COUNT_BIG" {
			res[f] = count
		} else {
			res[f] = acc
		}
	}
	return res, nil
}
