package sqlexec

import (
	"strings"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func qualMatches(qual string, ref TableRef) bool {
	return qual == strings.ToLower(ref.Alias) || (ref.Alias == "" && qual == strings.ToLower(ref.Name))
}

// scope is the row a statement reads: the columns of its tables side by side.
type scope struct {
	tables []scopeTable
	cols   []sqlval.Column
}

type scopeTable struct {
	ref    TableRef
	offset int
	n      int
}

func newScope(ref TableRef, cols []sqlval.Column) *scope {
	sc := &scope{}
	sc.add(ref, cols)
	return sc
}

func (sc *scope) add(ref TableRef, cols []sqlval.Column) {
	sc.tables = append(sc.tables, scopeTable{ref: ref, offset: len(sc.cols), n: len(cols)})
	sc.cols = append(sc.cols[:len(sc.cols):len(sc.cols)], cols...)
}

// table finds the table a qualifier names.
func (sc *scope) table(qual string) (scopeTable, bool) {
	for _, t := range sc.tables {
		if qualMatches(qual, t.ref) {
			return t, true
		}
	}
	return scopeTable{}, false
}

// resolve sets the index of a column reference.
func (sc *scope) resolve(c *ColRef) *sqlval.Error {
	c.idx = -1
	if c.Qual != "" {
		t, ok := sc.table(c.Qual)
		if !ok {
			return invalidColumn(c)
		}
		if i := colIndex(sc.cols[t.offset:t.offset+t.n], c.Name); i >= 0 {
			c.idx = t.offset + i
			return nil
		}
		return invalidColumn(&ColRef{Name: c.Name})
	}
	for _, t := range sc.tables {
		if i := colIndex(sc.cols[t.offset:t.offset+t.n], c.Name); i >= 0 {
			if c.idx >= 0 {
				c.idx = -1
				return sqlval.Errorf(209, "Ambiguous column name '%s'.", c.Name)
			}
			c.idx = t.offset + i
		}
	}
	if c.idx < 0 {
		return invalidColumn(&ColRef{Name: c.Name})
	}
	return nil
}

// bindExpr resolves the column references of e (outside subqueries) in the scope.
func bindExpr(e Expr, sc *scope) *sqlval.Error {
	var err *sqlval.Error
	walkExpr(e, func(x Expr) {
		if c, ok := x.(*ColRef); ok && err == nil {
			err = sc.resolve(c)
		}
	}, nil)
	return err
}

// bindCond resolves the column references of a condition.
func bindCond(c Cond, sc *scope) *sqlval.Error {
	var err *sqlval.Error
	walkCond(c, func(x Expr) {
		if err == nil {
			err = bindExpr(x, sc)
		}
	})
	return err
}

// walkExpr calls f for e and its sub-expressions, not descending into subqueries; conditions
// inside CASE are visited with fc when it is set.
func walkExpr(e Expr, f func(Expr), fc func(Cond)) {
	if e == nil {
		return
	}
	f(e)
	switch x := e.(type) {
	case *Unary:
		walkExpr(x.X, f, fc)
	case *Binary:
		walkExpr(x.L, f, fc)
		walkExpr(x.R, f, fc)
	case *FuncCall:
		for _, a := range x.Args {
			walkExpr(a, f, fc)
		}
	case *CastExpr:
		walkExpr(x.X, f, fc)
	case *CaseExpr:
		walkExpr(x.Operand, f, fc)
		for _, w := range x.Whens {
			if w.Cond != nil {
				walkCond(w.Cond, func(e Expr) { walkExpr(e, f, fc) })
			}
			walkExpr(w.Match, f, fc)
			walkExpr(w.Result, f, fc)
		}
		walkExpr(x.Else, f, fc)
	}
}

// everyNode reports whether ok holds for e and every sub-expression of it (see walkExpr).
func everyNode(e Expr, ok func(Expr) bool) bool {
	all := true
	walkExpr(e, func(x Expr) { all = all && ok(x) }, nil)
	return all
}

// walkCond calls f for every top-level expression of a condition (not inside EXISTS).
func walkCond(c Cond, f func(Expr)) {
	switch x := c.(type) {
	case *Compare:
		f(x.L)
		f(x.R)
	case *IsNull:
		f(x.X)
	case *Like:
		f(x.X)
		f(x.Pattern)
	case *In:
		f(x.X)
		for _, e := range x.List {
			f(e)
		}
	case *Logic:
		walkCond(x.L, f)
		walkCond(x.R, f)
	case *NotCond:
		walkCond(x.X, f)
	}
}

func collectAggs(e Expr, out *[]*FuncCall) {
	walkExpr(e, func(x Expr) {
		if f, ok := x.(*FuncCall); ok && isAggregate(f.Name) {
			*out = append(*out, f)
		}
	}, nil)
}

// bareColumn returns a column reference of e that is not inside an aggregate.
func bareColumn(e Expr) *ColRef {
	switch x := e.(type) {
	case *ColRef:
		return x
	case *FuncCall:
		if isAggregate(x.Name) {
			return nil
		}
		for _, a := range x.Args {
			if c := bareColumn(a); c != nil {
				return c
			}
		}
	case *Unary:
		return bareColumn(x.X)
	case *Binary:
		if c := bareColumn(x.L); c != nil {
			return c
		}
		return bareColumn(x.R)
	case *CastExpr:
		return bareColumn(x.X)
	}
	return nil
}

// check finds the compile-time errors SQL Server reports before running a batch: variables used
// before their DECLARE (137) and declared twice (134). It returns the batch's declarations: a
// variable exists from the start of the batch, even when its DECLARE sits in a branch not taken.
func check(stmts []Stmt, predeclared map[string]*variable) (map[string]sqlval.Column, *sqlval.Error) {
	c := &checker{declared: map[string]bool{}, types: map[string]sqlval.Column{}}
	for n := range predeclared {
		c.declared[n] = true
	}
	for _, s := range stmts {
		c.stmt(s)
		if c.err != nil {
			return nil, c.err
		}
	}
	return c.types, nil
}

type checker struct {
	declared map[string]bool
	types    map[string]sqlval.Column
	err      *sqlval.Error
	line     int
}

func (c *checker) use(name, text string, line int) {
	if c.err == nil && !c.declared[name] {
		if line == 0 {
			line = c.line
		}
		c.err = undeclared(text, line)
	}
}

func (c *checker) expr(e Expr) {
	walkExpr(e, func(x Expr) {
		switch v := x.(type) {
		case *VarRef:
			c.use(v.Name, v.Text, v.Line)
		case *SubqueryExpr:
			c.stmt(v.Select)
		}
	}, nil)
}

func (c *checker) cond(cd Cond) {
	if cd == nil {
		return
	}
	if e, ok := cd.(*Exists); ok {
		c.stmt(e.Select)
		return
	}
	switch x := cd.(type) {
	case *Logic:
		c.cond(x.L)
		c.cond(x.R)
		return
	case *NotCond:
		c.cond(x.X)
		return
	}
	walkCond(cd, c.expr)
}

func (c *checker) stmt(s Stmt) {
	if s == nil || c.err != nil {
		return
	}
	c.line = s.stmtLine()
	switch x := s.(type) {
	case *ExecStmt:
		if x.RC != "" {
			c.use(x.RC, x.RC, x.Line)
		}
		for _, a := range x.Args {
			c.expr(a.Value)
		}
	case *DeclareStmt:
		for _, d := range x.Vars {
			c.expr(d.Init)
			if c.declared[d.Name] && c.err == nil {
				e := sqlval.Errorf(134, "The variable name '%s' has already been declared. Variable names must be unique within a query batch or stored procedure.", d.Name)
				e.Class, e.Line = 15, int32(x.Line)
				c.err = e
			}
			c.declared[d.Name] = true
			c.types[d.Name] = d.Type
		}
	case *SetVarStmt:
		c.use(x.Var, x.Var, x.Line)
		c.expr(x.Value)
	case *SetOptionStmt:
		c.expr(x.Value)
	case *SelectStmt:
		c.expr(x.Top)
		for _, it := range x.Items {
			if it.Assign != "" {
				c.use(it.Assign, it.Assign, x.Line)
			}
			c.expr(it.Expr)
		}
		c.cond(x.Where)
		for _, o := range x.OrderBy {
			c.expr(o.Expr)
		}
	case *IfStmt:
		c.cond(x.Cond)
		c.stmt(x.Then)
		c.stmt(x.Else)
	case *BlockStmt:
		for _, st := range x.Stmts {
			c.stmt(st)
		}
	case *InsertStmt:
		for _, r := range x.Rows {
			for _, e := range r {
				c.expr(e)
			}
		}
	case *UpdateStmt:
		for _, sc := range x.Sets {
			c.expr(sc.Value)
		}
		c.cond(x.Where)
	case *DeleteStmt:
		c.cond(x.Where)
	case *PrintStmt:
		c.expr(x.Value)
	case *ThrowStmt:
		c.expr(x.Number)
		c.expr(x.Message)
		c.expr(x.State)
	case *RaiserrorStmt:
		c.expr(x.Message)
		c.expr(x.Severity)
		c.expr(x.State)
		for _, a := range x.Args {
			c.expr(a)
		}
	case *ReturnStmt:
		c.expr(x.Value)
	case *CreateTableStmt:
		for _, col := range x.Cols {
			c.expr(col.Default)
		}
	}
}

// schemaID implements SCHEMA_ID(name).
func (s *Session) schemaID(args []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	name := "dbo"
	if len(args) > 0 {
		if args[0] == nil {
			return nil, nil
		}
		n, err := toString(args[0])
		if err != nil {
			return nil, err
		}
		name = n
	}
	rel, err := s.storeRelation("sys.schemas")
	if err != nil {
		return nil, err
	}
	ni, ii := colIndex(rel.Columns, "name"), colIndex(rel.Columns, "schema_id")
	if ni < 0 || ii < 0 {
		return nil, nil
	}
	for _, r := range rel.Rows {
		if n, ok := r[ni].(string); ok && compareStrings(n, name) == 0 {
			return r[ii], nil
		}
	}
	return nil, nil
}

// objectID implements OBJECT_ID(name [, type]): a stable id for tables and views that exist.
func (s *Session) objectID(args []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	if args[0] == nil {
		return nil, nil
	}
	name, err := toString(args[0])
	if err != nil {
		return nil, err
	}
	ref, ok := parseObjectName(name)
	if !ok {
		return nil, nil
	}
	if _, rerr := s.storeRelation(tableName(ref)); rerr != nil {
		return nil, nil
	}
	return ObjectID(tableName(ref)), nil
}

// parseObjectName reads a one-, two- or more-part object name as OBJECT_ID takes it.
func parseObjectName(name string) (TableRef, bool) {
	p := newParser(name)
	var parts []string
	if !p.try(func() {
		parts = p.multiName()
		if !p.atEOF() {
			p.fail()
		}
	}) {
		return TableRef{}, false
	}
	ref := TableRef{Name: parts[len(parts)-1]}
	if len(parts) > 1 {
		ref.Schema = parts[len(parts)-2]
	}
	return ref, true
}
