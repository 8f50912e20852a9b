package sqlexec

import (
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// call evaluates a built-in scalar function.
func (b *batch) call(f *FuncCall, r *row) (sqlval.Value, *sqlval.Error) {
	if isAggregate(f.Name) {
		if r != nil && r.agg != nil {
			if v, ok := r.agg[f]; ok {
				return v, nil
			}
		}
		return nil, sqlval.Errorf(147, "An aggregate may not appear in the WHERE clause unless it is in a subquery contained in a HAVING clause or a select list, and the column being aggregated is an outer reference.")
	}
	spec, ok := functions[f.Name]
	if !ok {
		e := sqlval.Errorf(195, "'%s' is not a recognized built-in function name.", strings.ToLower(f.Name))
		e.Class, e.Line = 15, int32(f.Line)
		return nil, e
	}
	if len(f.Args) < spec.min || (spec.max >= 0 && len(f.Args) > spec.max) || f.Star {
		e := sqlval.Errorf(174, "The %s function requires %d argument(s).", strings.ToLower(f.Name), spec.min)
		e.Class = 15
		return nil, e
	}
	args := make([]sqlval.Value, len(f.Args))
	for i, a := range f.Args {
		v, err := b.eval(a, r)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return spec.fn(b, f, args)
}

// funcSpec is a built-in scalar function: its argument count (max -1: no limit) and body.
type funcSpec struct {
	min, max int
	fn       builtin
}

// functions are the built-in scalar functions by upper-case name.
var functions map[string]funcSpec

// builtin is the signature of a built-in scalar function's implementation.
type builtin = func(b *batch, f *FuncCall, args []sqlval.Value) (sqlval.Value, *sqlval.Error)

// The table is filled in init: its functions reach eval, which reads the table.
func init() {
	functions = map[string]funcSpec{
		"NEWID":             {0, 0, func(*batch, *FuncCall, []sqlval.Value) (sqlval.Value, *sqlval.Error) { return newUUID(), nil }},
		"SYSUTCDATETIME":    {0, 0, currentTime},
		"SYSDATETIME":       {0, 0, currentTime},
		"SYSDATETIMEOFFSET": {0, 0, currentTime},
		"GETUTCDATE":        {0, 0, currentTimeMillis},
		"GETDATE":           {0, 0, currentTimeMillis},
		"ISNULL":            {2, 2, isNull},
		"COALESCE":          {2, -1, coalesce},
		"NULLIF":            {2, 2, nullIf},
		"LEN":               {1, 1, str(func(s string) sqlval.Value { return int64(sqlval.CharLen(strings.TrimRight(s, " "))) })},
		"UPPER":             {1, 1, str(func(s string) sqlval.Value { return strings.ToUpper(s) })},
		"LOWER":             {1, 1, str(func(s string) sqlval.Value { return strings.ToLower(s) })},
		"LTRIM":             {1, 1, str(func(s string) sqlval.Value { return strings.TrimLeft(s, " ") })},
		"RTRIM":             {1, 1, str(func(s string) sqlval.Value { return strings.TrimRight(s, " ") })},
		"TRIM":              {1, 1, str(func(s string) sqlval.Value { return strings.Trim(s, " ") })},
		"DATALENGTH":        {1, 1, dataLength},
		"DB_NAME": {0, 1, func(b *batch, _ *FuncCall, _ []sqlval.Value) (sqlval.Value, *sqlval.Error) {
			return b.s.h.database, nil
		}},
		"HAS_PERMS_BY_NAME": {3, 5, hasPermsByName},
		"SCHEMA_ID": {0, 1, func(b *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
			return b.s.schemaID(a)
		}},
		"OBJECT_ID": {1, 2, func(b *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
			return b.s.objectID(a)
		}},
		"SUSER_SNAME": {0, 1, func(b *batch, _ *FuncCall, _ []sqlval.Value) (sqlval.Value, *sqlval.Error) {
			return b.s.user, nil
		}},
		"USER_NAME":  {0, 1, func(b *batch, _ *FuncCall, _ []sqlval.Value) (sqlval.Value, *sqlval.Error) { return b.s.dbUser(), nil }},
		"COL_LENGTH": {2, 2, colLength},
		"CONCAT":     {2, -1, concat},
		"REPLACE":    {3, 3, replace},
		"LEFT": {2, 2, func(_ *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
			return substr(a[0], int64(1), a[1])
		}},
		"SUBSTRING": {3, 3, func(_ *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
			return substr(a[0], a[1], a[2])
		}},
	}
}

// str lifts a function of one string to a built-in: NULL gives NULL, other values are
// converted to a string first.
func str(fn func(string) sqlval.Value) builtin {
	return func(_ *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
		if a[0] == nil {
			return nil, nil
		}
		s, err := toString(a[0])
		if err != nil {
			return nil, err
		}
		return fn(s), nil
	}
}

// currentTime is SYSUTCDATETIME and its siblings: the session clock's time.
func currentTime(b *batch, _ *FuncCall, _ []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	return b.s.h.now(), nil
}

// currentTimeMillis is GETUTCDATE and GETDATE: datetime keeps milliseconds only.
func currentTimeMillis(b *batch, _ *FuncCall, _ []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	return b.s.h.now().Truncate(time.Millisecond), nil
}

// isNull is ISNULL(value, replacement).
func isNull(_ *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	if a[0] != nil {
		return a[0], nil
	}
	if a[1] == nil {
		return nil, nil
	}
	return a[1], nil
}

// coalesce is COALESCE: the first argument that is not NULL.
func coalesce(_ *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	for _, v := range a {
		if v != nil {
			return v, nil
		}
	}
	return nil, nil
}

// nullIf is NULLIF(a, b): NULL when a equals b, else a.
func nullIf(_ *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	if a[0] == nil || a[1] == nil {
		return a[0], nil
	}
	n, err := compare(a[0], a[1])
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	return a[0], nil
}

// dataLength is DATALENGTH: the storage size of a value in bytes.
func dataLength(_ *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	switch x := a[0].(type) {
	case nil:
		return nil, nil
	case string:
		return int64(2 * sqlval.CharLen(x)), nil
	case []byte:
		return int64(len(x)), nil
	case int64:
		return int64(4), nil
	case sqlval.UUID:
		return int64(16), nil
	case bool:
		return int64(1), nil
	}
	return int64(8), nil
}

// concat is CONCAT: NULL arguments count as empty strings.
func concat(_ *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	var sb strings.Builder
	for _, v := range a {
		if v == nil {
			continue
		}
		s, err := toString(v)
		if err != nil {
			return nil, err
		}
		sb.WriteString(s)
	}
	return sb.String(), nil
}

// replace is REPLACE, matching case-insensitively as the collation does.
func replace(_ *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	if a[0] == nil || a[1] == nil || a[2] == nil {
		return nil, nil
	}
	s, _ := toString(a[0])
	o, _ := toString(a[1])
	n, _ := toString(a[2])
	if o == "" {
		return s, nil
	}
	return replaceFold(s, o, n), nil
}

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old, repl string) string {
	ls, lo := strings.ToLower(s), strings.ToLower(old)
	if len(ls) != len(s) || len(lo) != len(old) {
		return strings.ReplaceAll(s, old, repl)
	}
	var sb strings.Builder
	for {
		i := strings.Index(ls, lo)
		if i < 0 {
			sb.WriteString(s)
			return sb.String()
		}
		sb.WriteString(s[:i])
		sb.WriteString(repl)
		s, ls = s[i+len(old):], ls[i+len(old):]
	}
}

// substr is SUBSTRING(v, start, length) with 1-based start; LEFT is SUBSTRING from 1.
func substr(v, start, length sqlval.Value) (sqlval.Value, *sqlval.Error) {
	if v == nil || start == nil || length == nil {
		return nil, nil
	}
	s, err := toString(v)
	if err != nil {
		return nil, err
	}
	st, err := convert(start, sqlval.Column{Type: sqlval.BigInt})
	if err != nil {
		return nil, err
	}
	ln, err := convert(length, sqlval.Column{Type: sqlval.BigInt})
	if err != nil {
		return nil, err
	}
	if ln.(int64) < 0 {
		return nil, sqlval.Errorf(537, "Invalid length parameter passed to the LEFT or SUBSTRING function.")
	}
	rs := []rune(s)
	from, to := st.(int64)-1, st.(int64)-1+ln.(int64)
	from = max(from, 0)
	to = min(to, int64(len(rs)))
	if from >= to {
		return "", nil
	}
	return string(rs[from:to]), nil
}

// isAggregate reports whether name is an aggregate function.
func isAggregate(name string) bool {
	switch name {
	case "COUNT", "MAX", "MIN", "SUM", "COUNT_BIG":
		return true
	}
	return false
}
