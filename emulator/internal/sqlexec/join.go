package sqlexec

import (
	"strconv"
	"strings"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// join extends the rows of sc with a joined table. Equality conditions between a column already
// in scope and a column of the new table use a hash lookup.
func (b *batch) join(sc *scope, left [][]sqlval.Value, j Join) ([][]sqlval.Value, *sqlval.Error) {
	rel, err := b.s.relation(j.Table)
	if err != nil {
		return nil, err
	}
	width := len(sc.cols)
	sc.add(j.Table, rel.Columns)
	if err := bindCond(j.On, sc); err != nil {
		return nil, err
	}
	li, ri := hashKeys(j.On, width, sc.cols)
	var index map[string][]int
	if li >= 0 {
		index = make(map[string][]int, len(rel.Rows))
		for k, r := range rel.Rows {
			if key, ok := hashKey(r[ri-width]); ok {
				index[key] = append(index[key], k)
			}
		}
	}
	var out [][]sqlval.Value
	r := &row{cols: sc.cols}
	combined := make([]sqlval.Value, len(sc.cols))
	for _, l := range left {
		matched := false
		try := func(rr []sqlval.Value) *sqlval.Error {
			copy(combined, l)
			copy(combined[width:], rr)
			r.vals = combined
			t, err := b.test(j.On, r)
			if err != nil {
				return err
			}
			if t == triTrue {
				matched = true
				out = append(out, append([]sqlval.Value(nil), combined...))
			}
			return nil
		}
		if index != nil {
			if key, ok := hashKey(l[li]); ok {
				for _, k := range index[key] {
					if err := try(rel.Rows[k]); err != nil {
						return nil, err
					}
				}
			}
		} else {
			for _, rr := range rel.Rows {
				if err := try(rr); err != nil {
					return nil, err
				}
			}
		}
		if !matched && j.Left {
			o := make([]sqlval.Value, len(sc.cols))
			copy(o, l)
			out = append(out, o)
		}
	}
	return out, nil
}

// hashKeys finds a conjunct "left column = right column" of cond whose columns have the same
// type, returning their indexes (-1 when there is none).
func hashKeys(c Cond, width int, cols []sqlval.Column) (int, int) {
	switch x := c.(type) {
	case *Logic:
		if x.And {
			if l, r := hashKeys(x.L, width, cols); l >= 0 {
				return l, r
			}
			return hashKeys(x.R, width, cols)
		}
	case *Compare:
		a, ok1 := x.L.(*ColRef)
		bc, ok2 := x.R.(*ColRef)
		if x.Op != "=" || !ok1 || !ok2 {
			return -1, -1
		}
		if a.idx >= width && bc.idx < width {
			a, bc = bc, a
		}
		if a.idx < width && bc.idx >= width && sameKind(cols[a.idx].Type, cols[bc.idx].Type) {
			return a.idx, bc.idx
		}
	}
	return -1, -1
}

// sameKind reports whether values of types a and b can share hash keys.
func sameKind(a, b sqlval.Type) bool {
	if isInteger(a) && isInteger(b) {
		return true
	}
	return a == b && (a == sqlval.NVarChar || a == sqlval.GUID || a == sqlval.Bit)
}

// hashKey normalizes a value so that values equal under the collation share a key.
func hashKey(v sqlval.Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return strings.ToLower(strings.TrimRight(x, " ")), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case bool:
		return strconv.FormatBool(x), true
	case sqlval.UUID:
		return string(x[:]), true
	}
	return "", false
}
