package sqlexec

import (
	"math"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// variable is a declared T-SQL variable.
type variable struct {
	typ sqlval.Column
	val sqlval.Value
}

// row is the current row of the relation an expression reads columns from.
type row struct {
	cols []sqlval.Column
	vals []sqlval.Value
	agg  map[*FuncCall]sqlval.Value // aggregate results of a grouped select
}

// tri is a three-valued truth value.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// eval evaluates a scalar expression. Every row and expression goes through it, so it is where
// a canceled request (an ATTENTION, the client gone, the server closing) stops.
func (b *batch) eval(e Expr, r *row) (sqlval.Value, *sqlval.Error) {
	if b.evals++; b.evals%1024 == 0 && b.s.ctx.Err() != nil {
		return nil, errCanceled()
	}
	return b.evalNode(e, r)
}

// evalNode evaluates one node of an expression, its operands through eval.
func (b *batch) evalNode(e Expr, r *row) (sqlval.Value, *sqlval.Error) {
	switch x := e.(type) {
	case *Literal:
		return x.Value, nil
	case *VarRef:
		v, ok := b.vars[x.Name]
		if !ok {
			return nil, undeclared(x.Text, x.Line)
		}
		return v.val, nil
	case *SysVarRef:
		return b.sysVar(x.Name), nil
	case *ColRef:
		if r == nil || x.idx < 0 || x.idx >= len(r.vals) {
			return nil, invalidColumn(x)
		}
		return r.vals[x.idx], nil
	case *Unary:
		v, err := b.eval(x.X, r)
		if err != nil || v == nil {
			return nil, err
		}
		switch n := v.(type) {
		case int64:
			switch x.Op {
			case "-":
				return -n, nil
			case "~":
				return ^n, nil
			}
			return n, nil
		case float64:
			if x.Op == "-" {
				return -n, nil
			}
			if x.Op == "+" {
				return n, nil
			}
		case bool:
			if x.Op == "~" {
				return !n, nil
			}
		}
		return nil, sqlval.Errorf(8117, "Operand data type %s is invalid for %s operator.", sqlval.TypeName(sqlval.ValueType(v)), opName(x.Op))
	case *Binary:
		l, err := b.eval(x.L, r)
		if err != nil {
			return nil, err
		}
		rv, err := b.eval(x.R, r)
		if err != nil {
			return nil, err
		}
		var cols []sqlval.Column
		if r != nil {
			cols = r.cols
		}
		wide := b.typeOf(x.L, cols).Type == sqlval.BigInt || b.typeOf(x.R, cols).Type == sqlval.BigInt
		return arith(x.Op, l, rv, wide)
	case *FuncCall:
		return b.call(x, r)
	case *CastExpr:
		v, err := b.eval(x.X, r)
		if err != nil {
			return nil, err
		}
		return convert(v, x.Type)
	case *CaseExpr:
		var op sqlval.Value
		if x.Operand != nil {
			var err *sqlval.Error
			if op, err = b.eval(x.Operand, r); err != nil {
				return nil, err
			}
		}
		for _, w := range x.Whens {
			if x.Operand != nil {
				m, err := b.eval(w.Match, r)
				if err != nil {
					return nil, err
				}
				if op == nil || m == nil {
					continue
				}
				c, err := compare(op, m)
				if err != nil {
					return nil, err
				}
				if c == 0 {
					return b.eval(w.Result, r)
				}
				continue
			}
			t, err := b.test(w.Cond, r)
			if err != nil {
				return nil, err
			}
			if t == triTrue {
				return b.eval(w.Result, r)
			}
		}
		if x.Else != nil {
			return b.eval(x.Else, r)
		}
		return nil, nil
	case *SubqueryExpr:
		set, err := b.query(x.Select)
		if err != nil {
			return nil, err
		}
		if len(set.Rows) > 1 {
			return nil, sqlval.Errorf(512, "Subquery returned more than 1 value. This is not permitted when the subquery follows =, !=, <, <= , >, >= or when the subquery is used as an expression.")
		}
		if len(set.Rows) == 0 || len(set.Rows[0]) == 0 {
			return nil, nil
		}
		return set.Rows[0][0], nil
	}
	return nil, sqlval.Errorf(102, "Incorrect syntax.")
}

func opName(op string) string {
	switch op {
	case "+":
		return "add"
	case "-":
		return "subtract"
	case "*":
		return "multiply"
	case "/":
		return "divide"
	case "%":
		return "modulo"
	case "~":
		return "~"
	}
	return op
}

func undeclared(name string, line int) *sqlval.Error {
	e := sqlval.Errorf(137, "Must declare the scalar variable \"%s\".", name)
	e.Class, e.State, e.Line = 15, 2, int32(line)
	return e
}

func invalidColumn(c *ColRef) *sqlval.Error {
	if c.Qual != "" {
		return sqlval.Errorf(4104, "The multi-part identifier \"%s.%s\" could not be bound.", c.Qual, c.Name)
	}
	return sqlval.Errorf(207, "Invalid column name '%s'.", c.Name)
}

// arith applies a binary operator with SQL Server's type precedence; NULL yields NULL. wide says
// an integer operand is typed bigint; otherwise integer arithmetic is int and overflows beyond
// 32 bits, as SQL Server's does.
func arith(op string, l, r sqlval.Value, wide bool) (sqlval.Value, *sqlval.Error) {
	if l == nil || r == nil {
		return nil, nil
	}
	if ls, ok := l.(string); ok && op == "+" {
		if rs, ok := r.(string); ok {
			return ls + rs, nil
		}
	}
	if lb, ok := l.([]byte); ok && op == "+" {
		if rb, ok := r.([]byte); ok {
			return append(append([]byte{}, lb...), rb...), nil
		}
	}
	// Promote to the higher-precedence numeric type.
	lr, rr := rank(l), rank(r)
	if lr == 7 || rr == 7 || lr == 3 || rr == 3 || lr == 1 || rr == 1 {
		t := l
		if rr > lr {
			t = r
		}
		return nil, sqlval.Errorf(8117, "Operand data type %s is invalid for %s operator.", sqlval.TypeName(sqlval.ValueType(t)), opName(op))
	}
	if lr == 6 || rr == 6 {
		a, err := convert(l, sqlval.Column{Type: sqlval.Float})
		if err != nil {
			return nil, err
		}
		c, err := convert(r, sqlval.Column{Type: sqlval.Float})
		if err != nil {
			return nil, err
		}
		x, y := a.(float64), c.(float64)
		switch op {
		case "+":
			return x + y, nil
		case "-":
			return x - y, nil
		case "*":
			return x * y, nil
		case "/":
			if y == 0 {
				return nil, divZero()
			}
			return x / y, nil
		case "%":
			if y == 0 {
				return nil, divZero()
			}
			return math.Mod(x, y), nil
		}
		return nil, sqlval.Errorf(8117, "Operand data type float is invalid for %s operator.", opName(op))
	}
	// Integer arithmetic is int unless an operand is bigint (wide, or a value beyond int's range);
	// a string operand converts to the arithmetic's type.
	bt := sqlval.Column{Type: sqlval.Int}
	if wide {
		bt.Type = sqlval.BigInt
	}
	for _, v := range []sqlval.Value{l, r} {
		if n, ok := v.(int64); ok && (n > math.MaxInt32 || n < math.MinInt32) {
			bt.Type = sqlval.BigInt
		}
	}
	a, err := convert(l, bt)
	if err != nil {
		return nil, err
	}
	c, err := convert(r, bt)
	if err != nil {
		return nil, err
	}
	x, y := a.(int64), c.(int64)
	var z int64
	switch op {
	case "+":
		z = x + y
		if (z > x) != (y > 0) {
			return nil, overflow(bt)
		}
	case "-":
		z = x - y
		if (z < x) != (y > 0) {
			return nil, overflow(bt)
		}
	case "*":
		if x != 0 && y != 0 {
			z = x * y
			if z/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
				return nil, overflow(bt)
			}
		}
	case "/":
		if y == 0 {
			return nil, divZero()
		}
		if x == math.MinInt64 && y == -1 {
			return nil, overflow(bt)
		}
		z = x / y
	case "%":
		if y == 0 {
			return nil, divZero()
		}
		if y == -1 {
			return int64(0), nil
		}
		z = x % y
	case "&":
		z = x & y
	case "|":
		z = x | y
	case "^":
		z = x ^ y
	}
	if bt.Type == sqlval.Int && (z > math.MaxInt32 || z < math.MinInt32) {
		return nil, overflow(bt)
	}
	return z, nil
}

func divZero() *sqlval.Error {
	return sqlval.Errorf(8134, "Divide by zero error encountered.")
}

// test evaluates a predicate.
func (b *batch) test(c Cond, r *row) (tri, *sqlval.Error) {
	switch x := c.(type) {
	case *Compare:
		return b.testCompare(x, r)
	case *IsNull:
		v, err := b.eval(x.X, r)
		if err != nil {
			return triUnknown, err
		}
		return triOf((v == nil) != x.Not), nil
	case *Like:
		return b.testLike(x, r)
	case *In:
		return b.testIn(x, r)
	case *Exists:
		set, err := b.query(x.Select)
		if err != nil {
			return triUnknown, err
		}
		return triOf(len(set.Rows) > 0), nil
	case *Logic:
		return b.testLogic(x, r)
	case *NotCond:
		v, err := b.test(x.X, r)
		return notTri(v), err
	}
	return triUnknown, sqlval.Errorf(102, "Incorrect syntax.")
}

// testCompare evaluates a comparison; NULL on either side is unknown.
func (b *batch) testCompare(x *Compare, r *row) (tri, *sqlval.Error) {
	l, err := b.eval(x.L, r)
	if err != nil {
		return triUnknown, err
	}
	rv, err := b.eval(x.R, r)
	if err != nil {
		return triUnknown, err
	}
	if l == nil || rv == nil {
		return triUnknown, nil
	}
	n, err := compare(l, rv)
	if err != nil {
		return triUnknown, err
	}
	switch x.Op {
	case "=":
		return triOf(n == 0), nil
	case "<>":
		return triOf(n != 0), nil
	case "<":
		return triOf(n < 0), nil
	case ">":
		return triOf(n > 0), nil
	case "<=":
		return triOf(n <= 0), nil
	}
	return triOf(n >= 0), nil
}

// testLike evaluates [NOT] LIKE.
func (b *batch) testLike(x *Like, r *row) (tri, *sqlval.Error) {
	v, err := b.eval(x.X, r)
	if err != nil {
		return triUnknown, err
	}
	pv, err := b.eval(x.Pattern, r)
	if err != nil {
		return triUnknown, err
	}
	if v == nil || pv == nil {
		return triUnknown, nil
	}
	s, err := toString(v)
	if err != nil {
		return triUnknown, err
	}
	ps, err := toString(pv)
	if err != nil {
		return triUnknown, err
	}
	return triOf(like(s, ps) != x.Not), nil
}

// testIn evaluates [NOT] IN (list): true on a match, else unknown if a NULL was compared.
func (b *batch) testIn(x *In, r *row) (tri, *sqlval.Error) {
	v, err := b.eval(x.X, r)
	if err != nil {
		return triUnknown, err
	}
	res := triFalse
	for _, e := range x.List {
		item, err := b.eval(e, r)
		if err != nil {
			return triUnknown, err
		}
		if v == nil || item == nil {
			res = triUnknown
			continue
		}
		n, err := compare(v, item)
		if err != nil {
			return triUnknown, err
		}
		if n == 0 {
			res = triTrue
			break
		}
	}
	if x.Not {
		return notTri(res), nil
	}
	return res, nil
}

// testLogic evaluates AND and OR in three-valued logic, skipping the right side when the left
// one decides.
func (b *batch) testLogic(x *Logic, r *row) (tri, *sqlval.Error) {
	l, err := b.test(x.L, r)
	if err != nil {
		return triUnknown, err
	}
	if x.And && l == triFalse {
		return triFalse, nil
	}
	if !x.And && l == triTrue {
		return triTrue, nil
	}
	rv, err := b.test(x.R, r)
	if err != nil {
		return triUnknown, err
	}
	if x.And {
		switch {
		case rv == triFalse:
			return triFalse, nil
		case l == triTrue && rv == triTrue:
			return triTrue, nil
		}
		return triUnknown, nil
	}
	switch {
	case rv == triTrue:
		return triTrue, nil
	case l == triFalse && rv == triFalse:
		return triFalse, nil
	}
	return triUnknown, nil
}

func notTri(t tri) tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

func (b *batch) sysVar(name string) sqlval.Value {
	switch name {
	case "@@TRANCOUNT":
		return int64(b.s.db.TranCount())
	case "@@ROWCOUNT":
		return b.s.rowCount
	case "@@ERROR":
		return int64(b.s.lastError)
	case "@@SPID":
		return int64(b.s.id)
	case "@@VERSION":
		return "Microsoft SQL Azure (RTM) - 12.0.2000.8 (ejops job database emulator)"
	case "@@SERVERNAME":
		return b.s.h.serverName
	}
	return nil
}

// typeOf infers the result column type of an expression.
func (b *batch) typeOf(e Expr, cols []sqlval.Column) sqlval.Column {
	switch x := e.(type) {
	case *Literal:
		t := x.Type
		t.Nullable = x.Value == nil
		return t
	case *VarRef:
		if v, ok := b.vars[x.Name]; ok {
			t := v.typ
			t.Nullable = true
			return t
		}
	case *SysVarRef:
		switch x.Name {
		case "@@VERSION":
			return sqlval.Column{Type: sqlval.NVarChar, Size: 300, Nullable: true}
		case "@@SERVERNAME":
			return sqlval.Column{Type: sqlval.NVarChar, Size: 128, Nullable: true}
		case "@@SPID":
			return sqlval.Column{Type: sqlval.SmallInt, Nullable: true}
		}
		return sqlval.Column{Type: sqlval.Int, Nullable: true}
	case *ColRef:
		if x.idx >= 0 && x.idx < len(cols) {
			return cols[x.idx]
		}
	case *Unary:
		return b.typeOf(x.X, cols)
	case *Binary:
		return b.binaryType(x, cols)
	case *CastExpr:
		t := x.Type
		t.Nullable = true
		return t
	case *CaseExpr:
		for _, w := range x.Whens {
			if t := b.typeOf(w.Result, cols); t.Type != sqlval.Null {
				if t.Type == sqlval.NVarChar {
					t.Size = sqlval.Max
				}
				t.Nullable = true
				return t
			}
		}
	case *SubqueryExpr:
		return sqlval.Column{Type: sqlval.Null, Nullable: true}
	case *FuncCall:
		switch x.Name {
		case "NEWID":
			return sqlval.Column{Type: sqlval.GUID}
		case "SYSUTCDATETIME", "SYSDATETIME":
			return sqlval.Column{Type: sqlval.DateTime2}
		case "SYSDATETIMEOFFSET":
			return sqlval.Column{Type: sqlval.DateTimeOffset}
		case "GETUTCDATE", "GETDATE":
			return sqlval.Column{Type: sqlval.DateTime}
		case "COUNT", "LEN", "SCHEMA_ID", "OBJECT_ID", "DATALENGTH", "HAS_PERMS_BY_NAME":
			return sqlval.Column{Type: sqlval.Int, Nullable: x.Name != "COUNT"}
		case "COUNT_BIG":
			return sqlval.Column{Type: sqlval.BigInt}
		case "COL_LENGTH":
			return sqlval.Column{Type: sqlval.SmallInt, Nullable: true}
		case "DB_NAME", "SUSER_SNAME", "USER_NAME":
			return sqlval.Column{Type: sqlval.NVarChar, Size: 128, Nullable: true}
		case "ISNULL", "COALESCE", "NULLIF", "UPPER", "LOWER", "LTRIM", "RTRIM", "TRIM", "MAX", "MIN", "SUM", "LEFT", "SUBSTRING":
			if len(x.Args) > 0 {
				t := b.typeOf(x.Args[0], cols)
				if x.Name == "SUM" && isInteger(t.Type) {
					t.Type = sqlval.BigInt
				}
				t.Nullable = true
				return t
			}
		case "CONCAT", "REPLACE":
			return sqlval.Column{Type: sqlval.NVarChar, Size: sqlval.Max, Nullable: true}
		}
	}
	return sqlval.Column{Type: sqlval.Null, Nullable: true}
}

// typeKey identifies an operator typed against one set of columns.
type typeKey struct {
	e    *Binary
	cols *sqlval.Column
	n    int
}

// binaryType is the type of an operator's result. It is remembered for the batch, so typing a
// chain of n operators, once per operator as evaluation does, costs O(n) rather than O(n²).
func (b *batch) binaryType(x *Binary, cols []sqlval.Column) sqlval.Column {
	k := typeKey{e: x, n: len(cols)}
	if len(cols) > 0 {
		k.cols = &cols[0]
	}
	if t, ok := b.types[k]; ok {
		return t
	}
	l, r := b.typeOf(x.L, cols), b.typeOf(x.R, cols)
	t := sqlval.Column{Type: sqlval.Int, Nullable: true}
	switch {
	case l.Type == sqlval.NVarChar && r.Type == sqlval.NVarChar:
		t = sqlval.Column{Type: sqlval.NVarChar, Size: sqlval.Max, Nullable: true}
		if l.Size > 0 && r.Size > 0 && l.Size+r.Size <= 4000 {
			t.Size = l.Size + r.Size
		}
	case l.Type == sqlval.Float || r.Type == sqlval.Float:
		t.Type = sqlval.Float
	case l.Type == sqlval.BigInt || r.Type == sqlval.BigInt:
		t.Type = sqlval.BigInt
	}
	if b.types == nil {
		b.types = map[typeKey]sqlval.Column{}
	}
	b.types[k] = t
	return t
}
