package sqlexec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// arrange applies ORDER BY, DISTINCT and TOP to the output rows, in that order. src holds the
// source row of each output row.
func (b *batch) arrange(x *SelectStmt, cols []sqlval.Column, sc *scope,
	src, out [][]sqlval.Value, agg map[*FuncCall]sqlval.Value) ([][]sqlval.Value, *sqlval.Error) {
	if len(x.OrderBy) > 0 {
		var err *sqlval.Error
		if out, err = b.order(x, cols, sc, src, out, agg); err != nil {
			return nil, err
		}
	}
	if x.Distinct {
		out = distinct(out)
	}
	if x.Top == nil {
		return out, nil
	}
	v, err := b.evalAs(x.Top, sqlval.Column{Type: sqlval.BigInt})
	if err != nil {
		return nil, err
	}
	n, _ := v.(int64)
	if n < 0 {
		return nil, sqlval.Errorf(1060, "The number of rows provided for a TOP or FETCH clauses row count parameter must be an integer.")
	}
	if int64(len(out)) > n {
		out = out[:n]
	}
	return out, nil
}

// order sorts the output rows by ORDER BY, stably, NULL below every value. src holds the source
// row of each output row, for keys that are not output columns.
func (b *batch) order(x *SelectStmt, cols []sqlval.Column, sc *scope,
	src, out [][]sqlval.Value, agg map[*FuncCall]sqlval.Value) ([][]sqlval.Value, *sqlval.Error) {
	srcCols := sc.cols
	type keyed struct {
		keys []sqlval.Value
		row  []sqlval.Value
	}
	// Each key is an output column (by alias or ordinal) or an expression over the source row.
	outIdx := make([]int, len(x.OrderBy))
	for k, o := range x.OrderBy {
		outIdx[k] = -1
		if c, ok := o.Expr.(*ColRef); ok && c.Qual == "" {
			outIdx[k] = colIndex(cols, c.Name)
		}
		if l, ok := o.Expr.(*Literal); ok {
			n, isInt := l.Value.(int64)
			if !isInt || n < 1 || int(n) > len(cols) {
				return nil, sqlval.Errorf(108, "The ORDER BY position number %v is out of range of the number of items in the select list.", l.Value)
			}
			outIdx[k] = int(n - 1)
		}
		if outIdx[k] < 0 {
			if err := bindExpr(o.Expr, sc); err != nil {
				return nil, err
			}
		}
	}
	ks := make([]keyed, len(out))
	r := &row{cols: srcCols, agg: agg}
	for i := range out {
		ks[i].row = out[i]
		ks[i].keys = make([]sqlval.Value, len(x.OrderBy))
		for k, o := range x.OrderBy {
			if outIdx[k] >= 0 {
				ks[i].keys[k] = out[i][outIdx[k]]
				continue
			}
			r.vals = src[i]
			v, err := b.eval(o.Expr, r)
			if err != nil {
				return nil, err
			}
			ks[i].keys[k] = v
		}
	}
	var sortErr *sqlval.Error
	sort.SliceStable(ks, func(i, j int) bool {
		for k, o := range x.OrderBy {
			a, c := ks[i].keys[k], ks[j].keys[k]
			var n int
			switch {
			case a == nil && c == nil:
				continue
			case a == nil:
				n = -1
			case c == nil:
				n = 1
			default:
				var err *sqlval.Error
				if n, err = compare(a, c); err != nil {
					sortErr = err
					return false
				}
			}
			if n == 0 {
				continue
			}
			if o.Desc {
				return n > 0
			}
			return n < 0
		}
		return false
	})
	if sortErr != nil {
		return nil, sortErr
	}
	res := make([][]sqlval.Value, len(ks))
	for i := range ks {
		res[i] = ks[i].row
	}
	return res, nil
}

// distinct keeps the first of rows that are equal under the collation.
func distinct(rows [][]sqlval.Value) [][]sqlval.Value {
	var out [][]sqlval.Value
	seen := map[string]bool{}
	for _, r := range rows {
		key := fmt.Sprintf("%#v", normKey(r))
		if !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	return out
}

// normKey is the key of a row under the collation: strings compare case-insensitively and
// without trailing spaces.
func normKey(r []sqlval.Value) []any {
	k := make([]any, len(r))
	for i, v := range r {
		if s, ok := v.(string); ok {
			k[i] = strings.ToLower(strings.TrimRight(s, " "))
		} else {
			k[i] = v
		}
	}
	return k
}
