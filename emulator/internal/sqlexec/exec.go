package sqlexec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// batch is the execution state of one batch: its variables and RETURN.
type batch struct {
	s        *Session
	vars     map[string]*variable
	ret      *int32
	returned bool
}

func (s *Session) newBatch() *batch {
	return &batch{s: s, vars: map[string]*variable{}}
}

// declare creates the batch's variables, NULL until assigned.
func (b *batch) declare(decls map[string]sqlval.Column) {
	for name, typ := range decls {
		if b.vars[name] == nil {
			b.vars[name] = &variable{typ: typ}
		}
	}
}

// run executes statements in order. A statement-terminating error (see statementOnly) is sent
// and execution goes on with the next statement; any other error ends the batch.
func (b *batch) run(stmts []Stmt) *sqlval.Error {
	for _, st := range stmts {
		if b.returned {
			return nil
		}
		if b.s.ctx.Err() != nil {
			return &sqlval.Error{Number: 3617, Class: 16, State: 1, Message: "Query was canceled by user."}
		}
		if err := b.exec(st); err != nil {
			if err.Line == 0 && err.Proc == "" {
				c := *err
				c.Line = int32(st.stmtLine())
				err = &c
			}
			if !b.statementOnly(st, err) {
				return err
			}
			b.s.lastError = err.Number
			b.s.emit(sqlval.Item{Kind: sqlval.ItemError, Err: err})
			continue
		}
		if setsError(st) {
			b.s.lastError = 0
		}
	}
	return nil
}

// setsError reports whether st, completing without error, sets @@ERROR to 0. IF resets it
// before its branch runs, BEGIN…END is no statement of its own, RAISERROR sets its own value
// and a DECLARE without initial values executes nothing.
func setsError(st Stmt) bool {
	switch x := st.(type) {
	case *IfStmt, *BlockStmt, *RaiserrorStmt:
		return false
	case *DeclareStmt:
		for _, d := range x.Vars {
			if d.Init != nil {
				return true
			}
		}
		return false
	}
	return true
}

// statementOnly reports whether err ends only the statement st rather than the batch: with
// XACT_ABORT OFF, SQL Server's constraint and truncation errors of a statement outside a
// procedure leave the transaction open and execution continues.
func (b *batch) statementOnly(st Stmt, err *sqlval.Error) bool {
	if b.s.xactAbort || b.s.db.RolledBack() || err.Proc != "" {
		return false
	}
	if _, ok := st.(*ExecStmt); ok {
		return false
	}
	switch err.Number {
	case 2627, 2601, 547, 515, 8152, 2628:
		return true
	}
	return false
}

func (b *batch) exec(st Stmt) *sqlval.Error {
	s := b.s
	switch x := st.(type) {
	case *ExecStmt:
		return b.execProc(x)
	case *DeclareStmt:
		for _, d := range x.Vars {
			v := b.vars[d.Name]
			if v == nil {
				v = &variable{typ: d.Type}
				b.vars[d.Name] = v
			}
			if d.Init != nil {
				val, err := b.eval(d.Init, nil)
				if err != nil {
					return err
				}
				if v.val, err = convert(val, d.Type); err != nil {
					return err
				}
			}
		}
		return nil
	case *SetVarStmt:
		val, err := b.eval(x.Value, nil)
		if err != nil {
			return err
		}
		if err := b.assign(x.Var, x.Op, val); err != nil {
			return err
		}
		s.rowCount = 1
		return nil
	case *SetOptionStmt:
		return b.setOption(x)
	case *SelectStmt:
		return b.selectStmt(x)
	case *IfStmt:
		t, err := b.test(x.Cond, nil)
		if err != nil {
			return err
		}
		s.lastError = 0
		if t == triTrue {
			return b.run([]Stmt{x.Then})
		}
		if x.Else != nil {
			return b.run([]Stmt{x.Else})
		}
		return nil
	case *BlockStmt:
		return b.run(x.Stmts)
	case *TranStmt:
		return b.tran(x)
	case *MasterKeyStmt:
		return s.db.CreateMasterKey(x.Password)
	case *CredentialStmt:
		switch x.Action {
		case "CREATE":
			return s.db.CreateCredential(x.Name, x.Identity, x.Secret)
		case "ALTER":
			return s.db.AlterCredential(x.Name, x.Identity, x.Secret)
		}
		return s.db.DropCredential(x.Name)
	case *CreateSchemaStmt:
		return s.db.CreateSchema(x.Name)
	case *CreateTableStmt:
		return b.createTable(x)
	case *DropTableStmt:
		for _, t := range x.Tables {
			if x.IfExists {
				if _, err := s.db.Relation(tableName(t)); err != nil {
					continue
				}
			}
			if err := s.db.DropTable(tableName(t)); err != nil {
				return err
			}
		}
		return nil
	case *InsertStmt:
		return b.insert(x)
	case *UpdateStmt:
		return b.update(x)
	case *DeleteStmt:
		return b.delete(x)
	case *PrintStmt:
		v, err := b.eval(x.Value, nil)
		if err != nil {
			return err
		}
		msg := ""
		if v != nil {
			if msg, err = toString(v); err != nil {
				return err
			}
		}
		s.emit(sqlval.Item{Kind: sqlval.ItemInfo, Err: &sqlval.Error{Number: 0, Class: 0, State: 1, Message: msg,
			Line: int32(x.Line)}})
		return nil
	case *ThrowStmt:
		return b.throw(x)
	case *RaiserrorStmt:
		return b.raiserror(x)
	case *UseStmt:
		if !strings.EqualFold(x.Database, s.h.database) {
			return sqlval.Errorf(40508, "USE statement is not supported to switch between databases. Use a new connection to connect to a different database.")
		}
		return nil
	case *ReturnStmt:
		b.returned = true
		if x.Value != nil {
			v, err := b.eval(x.Value, nil)
			if err != nil {
				return err
			}
			n, err := convert(v, sqlval.Column{Type: sqlval.Int})
			if err != nil {
				return err
			}
			rc := int32(0)
			if n != nil {
				rc = int32(n.(int64))
			}
			b.ret = &rc
		}
		return nil
	}
	return sqlval.Errorf(102, "Incorrect syntax.")
}

// setOption applies SET XACT_ABORT and NOCOUNT. Options that would change results in ways the
// emulator does not implement are refused rather than ignored; the others have no effect here.
func (b *batch) setOption(x *SetOptionStmt) *sqlval.Error {
	switch x.Option {
	case "XACT_ABORT":
		b.s.xactAbort = x.On
		return nil
	case "NOCOUNT":
		b.s.nocount = x.On
		return nil
	}
	unsupported := false
	switch x.Option {
	case "IMPLICIT_TRANSACTIONS", "FMTONLY", "ANSI_DEFAULTS":
		unsupported = x.On
	case "ANSI_NULLS", "CONCAT_NULL_YIELDS_NULL":
		unsupported = !x.On
	case "ROWCOUNT":
		v, err := b.evalAs(x.Value, sqlval.Column{Type: sqlval.BigInt})
		if err != nil {
			return err
		}
		n, _ := v.(int64)
		unsupported = n != 0
	}
	if unsupported {
		state := "ON"
		if !x.On {
			state = "OFF"
		}
		if x.Option == "ROWCOUNT" {
			state = "n"
		}
		return sqlval.Errorf(40517, "Keyword or statement option 'SET %s %s' is not supported in this version of SQL Server.", x.Option, state)
	}
	return nil
}

// assign sets a variable, applying a compound operator and the variable's type.
func (b *batch) assign(name, op string, val sqlval.Value) *sqlval.Error {
	v, ok := b.vars[name]
	if !ok {
		return undeclared(name, 0)
	}
	if op != "=" && op != "" {
		var err *sqlval.Error
		if val, err = arith(op[:1], v.val, val, v.typ.Type == sqlval.BigInt); err != nil {
			return err
		}
	}
	cv, err := convert(val, v.typ)
	if err != nil {
		return err
	}
	v.val = cv
	return nil
}

func (b *batch) execProc(x *ExecStmt) *sqlval.Error {
	s := b.s
	norm := normalizeProc(x.Proc)
	if norm == "sp_executesql" || norm == "sys.sp_executesql" || norm == "dbo.sp_executesql" {
		return b.execSQL(x)
	}
	formal, _ := jobstore.Params(norm)
	args := make([]jobstore.Arg, 0, len(x.Args))
	for i, a := range x.Args {
		name := strings.TrimPrefix(a.Name, "@")
		if a.Default && (name != "" || i < len(formal)) {
			continue // the parameter keeps its default
		}
		var v sqlval.Value
		if a.Value != nil {
			var err *sqlval.Error
			if v, err = b.eval(a.Value, nil); err != nil {
				return err
			}
		}
		if name == "" && len(args) < i {
			// A positional argument after a skipped DEFAULT binds by its position's name.
			if i < len(formal) {
				name = formal[i].Name
			}
		}
		args = append(args, jobstore.Arg{Name: name, Value: v, Output: a.Output})
	}
	res, err := s.callProc(norm, x.Proc, args)
	for _, m := range res.Messages {
		s.emit(sqlval.Item{Kind: sqlval.ItemInfo, Err: m})
	}
	for i := range res.Sets {
		s.emit(sqlval.Item{Kind: sqlval.ItemResultSet, Set: &res.Sets[i]})
		s.rowCount = int64(len(res.Sets[i].Rows))
	}
	if err != nil {
		return err
	}
	for i, a := range x.Args {
		if !a.Output || a.Var == "" {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(a.Name, "@"))
		if a.Name == "" && i < len(formal) {
			key = strings.ToLower(formal[i].Name)
		}
		if v, ok := res.Outputs[key]; ok {
			if err := b.assign(a.Var, "=", v); err != nil {
				return err
			}
		}
	}
	if x.RC != "" {
		if err := b.assign(x.RC, "=", int64(res.ReturnStatus)); err != nil {
			return err
		}
	}
	return nil
}

// execSQL runs EXEC sp_executesql @stmt, @params, values… inside a batch.
func (b *batch) execSQL(x *ExecStmt) *sqlval.Error {
	params := make([]sqlval.Param, len(x.Args))
	for i, a := range x.Args {
		if a.Default {
			return sqlval.Errorf(102, "Incorrect syntax near 'DEFAULT'.")
		}
		v, err := b.eval(a.Value, nil)
		if err != nil {
			return err
		}
		params[i] = sqlval.Param{Name: a.Name, Output: a.Output, Value: v, Type: sqlval.ValueType(v)}
		if i < 2 && a.Name != "" {
			params[i].Name = ""
		}
	}
	vars, ret, err := b.s.runExecuteSQL(params)
	if err != nil {
		return err
	}
	for i, a := range x.Args {
		if i < 2 || !a.Output || a.Var == "" {
			continue
		}
		if v := vars[strings.ToLower(a.Name)]; v != nil {
			if err := b.assign(a.Var, "=", v.val); err != nil {
				return err
			}
		}
	}
	if x.RC != "" {
		return b.assign(x.RC, "=", int64(ret))
	}
	return nil
}

func (b *batch) tran(x *TranStmt) *sqlval.Error {
	s := b.s
	before := s.db.TranCount()
	switch x.Kind {
	case "BEGIN":
		if err := s.db.Begin(s.ctx); err != nil {
			return err
		}
		if before == 0 {
			s.emit(sqlval.Item{Kind: sqlval.ItemTranBegin})
		}
	case "COMMIT":
		if err := s.db.Commit(s.ctx); err != nil {
			return err
		}
		if before == 1 {
			s.emit(sqlval.Item{Kind: sqlval.ItemTranCommit})
		}
	default:
		if err := s.db.Rollback(s.ctx); err != nil {
			return err
		}
		s.emit(sqlval.Item{Kind: sqlval.ItemTranRollback})
	}
	return nil
}

func (b *batch) throw(x *ThrowStmt) *sqlval.Error {
	nv, err := b.evalAs(x.Number, sqlval.Column{Type: sqlval.Int})
	if err != nil {
		return err
	}
	mv, err := b.evalAs(x.Message, sqlval.Column{Type: sqlval.NVarChar, Size: 2048})
	if err != nil {
		return err
	}
	sv, err := b.evalAs(x.State, sqlval.Column{Type: sqlval.TinyInt})
	if err != nil {
		return err
	}
	n, _ := nv.(int64)
	if nv == nil || n < 50000 {
		return sqlval.Errorf(35100, "Error number %d in the THROW statement is outside the valid range. Specify an error number in the valid range of 50000 to 2147483647.", n)
	}
	msg, _ := mv.(string)
	st, _ := sv.(int64)
	return &sqlval.Error{Number: int32(n), Class: 16, State: uint8(st), Message: msg, Line: int32(x.Line)}
}

func (b *batch) evalAs(e Expr, t sqlval.Column) (sqlval.Value, *sqlval.Error) {
	v, err := b.eval(e, nil)
	if err != nil {
		return nil, err
	}
	return convert(v, t)
}

func (b *batch) raiserror(x *RaiserrorStmt) *sqlval.Error {
	mv, err := b.eval(x.Message, nil)
	if err != nil {
		return err
	}
	sev, err := b.evalAs(x.Severity, sqlval.Column{Type: sqlval.Int})
	if err != nil {
		return err
	}
	state, err := b.evalAs(x.State, sqlval.Column{Type: sqlval.Int})
	if err != nil {
		return err
	}
	if _, isNum := mv.(int64); isNum {
		return sqlval.Errorf(18054, "Error %d, severity %d, state %d was raised, but no message with that error number was found in sys.messages.", mv, sev, state)
	}
	format, err := toString(mv)
	if err != nil {
		return err
	}
	args := make([]sqlval.Value, len(x.Args))
	for i, a := range x.Args {
		if args[i], err = b.eval(a, nil); err != nil {
			return err
		}
	}
	sv, _ := sev.(int64)
	st, _ := state.(int64)
	e := &sqlval.Error{Number: 50000, Class: uint8(min(max(sv, 0), 25)), State: uint8(min(max(st, 0), 255)),
		Message: formatMessage(format, args), Line: int32(x.Line)}
	switch {
	case sv <= 10:
		b.s.emit(sqlval.Item{Kind: sqlval.ItemInfo, Err: e})
		b.s.lastError = 0
	case sv <= 18:
		b.s.emit(sqlval.Item{Kind: sqlval.ItemError, Err: e})
		b.s.lastError = 50000
	default:
		return e
	}
	return nil
}

// formatMessage substitutes RAISERROR's %s, %d, %i, %u and %x placeholders.
func formatMessage(format string, args []sqlval.Value) string {
	var sb strings.Builder
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			sb.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-+ #0123456789.*lh", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			sb.WriteString(format[i:])
			break
		}
		verb := format[j]
		switch verb {
		case '%':
			sb.WriteByte('%')
		case 's', 'd', 'i', 'u', 'x', 'X', 'o':
			if n < len(args) {
				if args[n] == nil {
					sb.WriteString("(null)")
				} else if verb == 'x' || verb == 'X' {
					if v, ok := args[n].(int64); ok {
						sb.WriteString(strconv.FormatInt(v, 16))
					}
				} else {
					s, _ := toString(args[n])
					sb.WriteString(s)
				}
			}
			n++
		default:
			sb.WriteString(format[i : j+1])
		}
		i = j
	}
	return sb.String()
}

// tableName renders a table reference as schema.name (dbo by default).
func tableName(t TableRef) string {
	schema := t.Schema
	if schema == "" {
		schema = "dbo"
	}
	return schema + "." + t.Name
}

func (s *Session) relation(t TableRef) (*jobstore.Relation, *sqlval.Error) {
	rel, err := s.db.Relation(tableName(t))
	if err != nil {
		if err.Number == 208 {
			written := t.Name
			if t.Schema != "" {
				written = t.Schema + "." + t.Name
			}
			e := sqlval.Errorf(208, "Invalid object name '%s'.", written)
			e.Line = int32(t.Line)
			return nil, e
		}
		return nil, err
	}
	return rel, nil
}

func (b *batch) createTable(x *CreateTableStmt) *sqlval.Error {
	cols := make([]jobstore.ColumnDef, len(x.Cols))
	for i, c := range x.Cols {
		cols[i] = jobstore.ColumnDef{Name: c.Name, Type: c.Type, PrimaryKey: c.PrimaryKey}
		if c.Default == nil {
			continue
		}
		// Evaluating every default once checks that it converts to the column's type.
		v, err := b.eval(c.Default, nil)
		if err != nil {
			return err
		}
		if v, err = convert(v, c.Type); err != nil {
			return err
		}
		if isConstant(c.Default) || !isStorable(c.Default) {
			cols[i].Default = v
		} else {
			cols[i].DefaultExpr = c.DefaultText
		}
	}
	schema := x.Table.Schema
	if schema == "" {
		schema = "dbo"
	}
	return b.s.db.CreateTable(schema, x.Table.Name, cols)
}

// isConstant reports whether a DEFAULT expression has the same value at every insert.
func isConstant(e Expr) bool {
	constant := true
	walkExpr(e, func(x Expr) {
		switch x.(type) {
		case *Literal, *Unary, *Binary, *CastExpr:
		default:
			constant = false
		}
	}, nil)
	return constant
}

// isStorable reports whether a DEFAULT expression can be kept as text and evaluated at each
// insert on its own: functions of constants, without variables, columns or subqueries.
func isStorable(e Expr) bool {
	ok := true
	walkExpr(e, func(x Expr) {
		switch x.(type) {
		case *Literal, *Unary, *Binary, *CastExpr, *FuncCall:
		default:
			ok = false
		}
	}, nil)
	return ok
}

// insert runs INSERT … VALUES. Every row is completed here, with columns left out or given as
// DEFAULT taking their default (an expression default such as SYSUTCDATETIME() or NEWID() is
// evaluated per row), and the rows go to the model in one call, so the statement inserts all
// of them or none.
func (b *batch) insert(x *InsertStmt) *sqlval.Error {
	name := tableName(x.Table)
	if _, err := b.s.relation(x.Table); err != nil {
		return err
	}
	defs, err := b.s.db.TableColumns(name)
	if err != nil {
		return err
	}
	idx := make([]int, 0, len(defs))
	if len(x.Cols) == 0 {
		for i := range defs {
			idx = append(idx, i)
		}
	}
	used := make([]bool, len(defs))
	for _, c := range x.Cols {
		j := -1
		for i, d := range defs {
			if strings.EqualFold(d.Name, c) {
				j = i
			}
		}
		if j < 0 {
			return sqlval.Errorf(207, "Invalid column name '%s'.", c)
		}
		if used[j] {
			return sqlval.Errorf(264, "The column name '%s' is specified more than once in the SET clause or column list of an INSERT. A column cannot be assigned more than one value in the same clause. Modify the clause to make sure that a column is updated only once. If this statement updates or inserts columns into a view, column aliasing can conceal the duplication.", c)
		}
		used[j] = true
		idx = append(idx, j)
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
		if len(r) != len(idx) {
			if len(r) > len(idx) {
				return sqlval.Errorf(110, "There are fewer columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement.")
			}
			return sqlval.Errorf(109, "There are more columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement.")
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

func (b *batch) rowsAffected(n int64) {
	b.s.rowCount = n
	if !b.s.nocount {
		b.s.emit(sqlval.Item{Kind: sqlval.ItemRowCount, Count: n})
	}
}

// whereFunc binds a WHERE condition to a table's columns.
func (b *batch) whereFunc(cols []sqlval.Column, t TableRef, where Cond) (func([]sqlval.Value) (bool, *sqlval.Error), *sqlval.Error) {
	if where != nil {
		if err := bindCond(where, newScope(t, cols)); err != nil {
			return nil, err
		}
	}
	return func(vals []sqlval.Value) (bool, *sqlval.Error) {
		if where == nil {
			return true, nil
		}
		r := &row{cols: cols, vals: vals}
		v, err := b.test(where, r)
		return v == triTrue, err
	}, nil
}

func (b *batch) update(x *UpdateStmt) *sqlval.Error {
	rel, err := b.s.relation(x.Table)
	if err != nil {
		return err
	}
	cols := rel.Columns
	where, err := b.whereFunc(cols, x.Table, x.Where)
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
	n, err := b.s.db.Update(tableName(x.Table), where, set)
	if err != nil {
		return err
	}
	b.rowsAffected(n)
	return nil
}

func (b *batch) delete(x *DeleteStmt) *sqlval.Error {
	rel, err := b.s.relation(x.Table)
	if err != nil {
		return err
	}
	where, err := b.whereFunc(rel.Columns, x.Table, x.Where)
	if err != nil {
		return err
	}
	n, err := b.s.db.Delete(tableName(x.Table), where)
	if err != nil {
		return err
	}
	b.rowsAffected(n)
	return nil
}

func colIndex(cols []sqlval.Column, name string) int {
	for i, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
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

// query evaluates a SELECT into a result set.
func (b *batch) query(x *SelectStmt) (*sqlval.ResultSet, *sqlval.Error) {
	sc := &scope{}
	srcRows := [][]sqlval.Value{nil}
	if x.From != nil {
		rel, err := b.s.relation(*x.From)
		if err != nil {
			return nil, err
		}
		sc.add(*x.From, rel.Columns)
		srcRows = rel.Rows
		for _, j := range x.Joins {
			if srcRows, err = b.join(sc, srcRows, j); err != nil {
				return nil, err
			}
		}
	}
	srcCols := sc.cols

	// Expand stars and bind column references.
	var items []outCol
	allStar := x.From != nil && len(x.Joins) == 0 && len(x.Items) == 1 && x.Items[0].Star && x.Items[0].Qual == ""
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
					c := srcCols[i]
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
				oc.name = srcCols[c.idx].Name
			}
		}
		items = append(items, oc)
	}
	if x.Where != nil {
		if err := bindCond(x.Where, sc); err != nil {
			return nil, err
		}
	}

	// Filter.
	rows := srcRows
	if x.Where != nil {
		rows = make([][]sqlval.Value, 0, len(srcRows))
		r := &row{cols: srcCols}
		for _, vals := range srcRows {
			r.vals = vals
			t, err := b.test(x.Where, r)
			if err != nil {
				return nil, err
			}
			if t == triTrue {
				rows = append(rows, vals)
			}
		}
	}

	// Aggregates turn the rows into one.
	var aggs []*FuncCall
	for _, it := range items {
		collectAggs(it.expr, &aggs)
	}
	var agg map[*FuncCall]sqlval.Value
	if len(aggs) > 0 {
		for _, it := range items {
			if c := bareColumn(it.expr); c != nil {
				return nil, sqlval.Errorf(8120, "Column '%s' is invalid in the select list because it is not contained in either an aggregate function or the GROUP BY clause.", c.Name)
			}
		}
		var err *sqlval.Error
		if agg, err = b.aggregate(aggs, srcCols, rows); err != nil {
			return nil, err
		}
		rows = [][]sqlval.Value{nil}
	}

	cols := make([]sqlval.Column, len(items))
	for i, it := range items {
		cols[i] = b.typeOf(it.expr, srcCols)
		cols[i].Name = it.name
	}

	// Project.
	var out [][]sqlval.Value
	if allStar && len(aggs) == 0 {
		out = rows
	} else {
		out = make([][]sqlval.Value, len(rows))
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
	}

	// Order.
	if len(x.OrderBy) > 0 {
		var err *sqlval.Error
		if out, err = b.order(x, cols, sc, rows, out, agg); err != nil {
			return nil, err
		}
	}
	if x.Distinct {
		out = distinct(out)
	}
	if x.Top != nil {
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
	}
	fixColumns(cols, items2plain(items), out)
	return &sqlval.ResultSet{Columns: cols, Rows: out}, nil
}

// outCol is one output column of a select list.
type outCol struct {
	expr  Expr
	name  string
	plain bool // a bare column: values already have the column's type
}

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
			for i, col := range cols {
				if strings.EqualFold(col.Name, c.Name) {
					outIdx[k] = i
					break
				}
			}
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
