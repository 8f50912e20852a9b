package sqlexec

import (
	"strings"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// batch is the execution state of one batch: its variables and RETURN.
type batch struct {
	s        *Session
	vars     map[string]*variable
	ret      *int32
	returned bool
	types    map[typeKey]sqlval.Column // operator result types, by binaryType
	evals    int                       // expressions evaluated, for checking cancellation
}

// errCanceled is the error of a request canceled while it runs.
func errCanceled() *sqlval.Error {
	return &sqlval.Error{Number: 3617, Class: 16, State: 1, Message: "Query was canceled by user."}
}

// newBatch starts a batch with no variables.
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
			return errCanceled()
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

// exec runs one statement.
func (b *batch) exec(st Stmt) *sqlval.Error {
	if err := b.s.denied(st); err != nil {
		return err
	}
	switch x := st.(type) {
	case *ExecStmt:
		return b.execProc(x)
	case *DeclareStmt:
		return b.declareStmt(x)
	case *SetVarStmt:
		return b.setVar(x)
	case *SetOptionStmt:
		return b.setOption(x)
	case *SelectStmt:
		return b.selectStmt(x)
	case *IfStmt:
		return b.ifStmt(x)
	case *BlockStmt:
		return b.run(x.Stmts)
	case *TranStmt:
		return b.tran(x)
	case *MasterKeyStmt:
		return b.s.db.CreateMasterKey(x.Password)
	case *CredentialStmt:
		return b.credential(x)
	case *CreateSchemaStmt:
		return b.s.db.CreateSchema(x.Name)
	case *CreateTableStmt:
		return b.createTable(x)
	case *DropTableStmt:
		return b.dropTable(x)
	case *InsertStmt:
		return b.insert(x)
	case *UpdateStmt:
		return b.update(x)
	case *DeleteStmt:
		return b.delete(x)
	case *PrintStmt:
		return b.print(x)
	case *ThrowStmt:
		return b.throw(x)
	case *RaiserrorStmt:
		return b.raiserror(x)
	case *UseStmt:
		return b.use(x)
	case *ReturnStmt:
		return b.returnStmt(x)
	}
	return sqlval.Errorf(102, "Incorrect syntax.")
}

// declareStmt runs DECLARE: each variable is created NULL, then given its initial value.
func (b *batch) declareStmt(x *DeclareStmt) *sqlval.Error {
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
}

// setVar runs SET @var = value (or a compound operator); @@ROWCOUNT becomes 1.
func (b *batch) setVar(x *SetVarStmt) *sqlval.Error {
	val, err := b.eval(x.Value, nil)
	if err != nil {
		return err
	}
	if err := b.assign(x.Var, x.Op, val); err != nil {
		return err
	}
	b.s.rowCount = 1
	return nil
}

// ifStmt runs IF … ELSE; the test resets @@ERROR before the branch runs.
func (b *batch) ifStmt(x *IfStmt) *sqlval.Error {
	t, err := b.test(x.Cond, nil)
	if err != nil {
		return err
	}
	b.s.lastError = 0
	if t == triTrue {
		return b.run([]Stmt{x.Then})
	}
	if x.Else != nil {
		return b.run([]Stmt{x.Else})
	}
	return nil
}

// use accepts USE of the session's own database only, as Azure SQL Database does.
func (b *batch) use(x *UseStmt) *sqlval.Error {
	if !strings.EqualFold(x.Database, b.s.h.database) {
		return sqlval.Errorf(40508, "USE statement is not supported to switch between databases. Use a new connection to connect to a different database.")
	}
	return nil
}

// returnStmt ends the batch or procedure, keeping the return value when one is given.
func (b *batch) returnStmt(x *ReturnStmt) *sqlval.Error {
	b.returned = true
	if x.Value == nil {
		return nil
	}
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
	return nil
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

// tran runs BEGIN, COMMIT and ROLLBACK TRANSACTION, reporting the outermost transaction's
// start and end to the client.
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

// evalAs evaluates e and converts the value to t.
func (b *batch) evalAs(e Expr, t sqlval.Column) (sqlval.Value, *sqlval.Error) {
	v, err := b.eval(e, nil)
	if err != nil {
		return nil, err
	}
	return convert(v, t)
}
