package sqlexec

import "github.com/ejops/ejops/emulator/internal/sqlval"

// Stmt is one parsed statement.
type Stmt interface {
	stmtLine() int
}

type pos struct{ Line int }

func (p pos) stmtLine() int { return p.Line }

// ExecStmt is EXEC [@rc =] proc args.
type ExecStmt struct {
	pos
	RC   string // return status variable, lowercase, empty when absent
	Proc string // name as written, parts joined with '.'
	Args []ExecArg
}

// ExecArg is one argument of an EXEC statement.
type ExecArg struct {
	Name    string // "@p" as written; empty for positional
	Value   Expr   // constant or variable; nil with Default
	Var     string // lowercase variable name when Value is a variable
	Output  bool
	Default bool
}

// DeclareStmt is DECLARE @x type [= expr], ….
type DeclareStmt struct {
	pos
	Vars []VarDecl
}

// VarDecl declares one variable.
type VarDecl struct {
	Name string // lowercase, with @
	Type sqlval.Column
	Init Expr
}

// SetVarStmt is SET @x = expr (or a compound assignment such as +=).
type SetVarStmt struct {
	pos
	Var   string
	Op    string // "=", "+=", "-=", "*=", "/="
	Value Expr
}

// SetOptionStmt is SET option ON|OFF.
type SetOptionStmt struct {
	pos
	Option string // upper case
	On     bool
	Value  Expr // the value of SET ROWCOUNT, TEXTSIZE, LOCK_TIMEOUT and DEADLOCK_PRIORITY
}

// SelectStmt is a SELECT statement.
type SelectStmt struct {
	pos
	Top      Expr
	Distinct bool
	Items    []SelectItem
	From     *TableRef
	Joins    []Join
	Where    Cond
	OrderBy  []OrderItem
}

// SelectItem is one element of a select list.
type SelectItem struct {
	Star   bool
	Qual   string // qualifier of t.* (lowercase)
	Expr   Expr
	Alias  string
	Assign string // @var in SELECT @var = expr
	Op     string
}

// OrderItem is one ORDER BY key.
type OrderItem struct {
	Expr Expr
	Desc bool
}

// Join is [INNER|LEFT [OUTER]] JOIN table ON cond.
type Join struct {
	Left  bool
	Table TableRef
	On    Cond
}

// TableRef names a table or view with an optional alias.
type TableRef struct {
	Schema string
	Name   string
	Alias  string
	Line   int
}

// IfStmt is IF cond stmt [ELSE stmt].
type IfStmt struct {
	pos
	Cond Cond
	Then Stmt
	Else Stmt
}

// BlockStmt is BEGIN … END.
type BlockStmt struct {
	pos
	Stmts []Stmt
}

// TranStmt is BEGIN TRAN, COMMIT or ROLLBACK.
type TranStmt struct {
	pos
	Kind string // "BEGIN", "COMMIT", "ROLLBACK"
}

// MasterKeyStmt is CREATE MASTER KEY ENCRYPTION BY PASSWORD = '…'.
type MasterKeyStmt struct {
	pos
	Password string // "" without ENCRYPTION BY PASSWORD
}

// CredentialStmt is CREATE, ALTER or DROP DATABASE SCOPED CREDENTIAL.
type CredentialStmt struct {
	pos
	Action    string // "CREATE", "ALTER", "DROP"
	Name      string
	Identity  string
	Secret    string
	HasSecret bool
}

// CreateSchemaStmt is CREATE SCHEMA name [AUTHORIZATION owner].
type CreateSchemaStmt struct {
	pos
	Name string
}

// CreateTableStmt is CREATE TABLE.
type CreateTableStmt struct {
	pos
	Table TableRef
	Cols  []ColDef
}

// ColDef is one column definition of CREATE TABLE.
type ColDef struct {
	Name        string
	Type        sqlval.Column
	PrimaryKey  bool
	Default     Expr
	DefaultText string // source text of Default
}

// DropTableStmt is DROP TABLE [IF EXISTS] t, ….
type DropTableStmt struct {
	pos
	Tables   []TableRef
	IfExists bool
}

// InsertStmt is INSERT INTO t [(cols)] VALUES (…), ….
type InsertStmt struct {
	pos
	Table TableRef
	Cols  []string
	Rows  [][]Expr
}

// UpdateStmt is UPDATE t SET c = expr, … [WHERE cond].
type UpdateStmt struct {
	pos
	Table TableRef
	Sets  []SetClause
	Where Cond
}

// SetClause is one assignment of an UPDATE.
type SetClause struct {
	Col   string
	Value Expr
}

// DeleteStmt is DELETE [FROM] t [WHERE cond].
type DeleteStmt struct {
	pos
	Table TableRef
	Where Cond
}

// PrintStmt is PRINT expr.
type PrintStmt struct {
	pos
	Value Expr
}

// ThrowStmt is THROW number, message, state.
type ThrowStmt struct {
	pos
	Number, Message, State Expr
}

// RaiserrorStmt is RAISERROR (message, severity, state [, args]).
type RaiserrorStmt struct {
	pos
	Message, Severity, State Expr
	Args                     []Expr
}

// UseStmt is USE database.
type UseStmt struct {
	pos
	Database string
}

// ReturnStmt is RETURN [expr].
type ReturnStmt struct {
	pos
	Value Expr
}

// Expr is a scalar expression.
type Expr interface{ isExpr() }

// Cond is a predicate (a search condition).
type Cond interface{ isCond() }

// Literal is a constant.
type Literal struct {
	Value sqlval.Value
	Type  sqlval.Column
}

// VarRef reads a variable.
type VarRef struct {
	Name string // lowercase with @
	Text string // as written
	Line int
}

// SysVarRef reads @@TRANCOUNT, @@ROWCOUNT or @@ERROR.
type SysVarRef struct {
	Name string // upper case, with @@
}

// ColRef is a column reference, resolved to an index before evaluation.
type ColRef struct {
	Qual string // lowercase qualifier or empty
	Name string // as written
	idx  int
}

// Unary is -x, +x or ~x.
type Unary struct {
	Op string
	X  Expr
}

// Binary is an arithmetic or concatenation operator.
type Binary struct {
	Op   string
	L, R Expr
}

// FuncCall is a built-in function call.
type FuncCall struct {
	Name string // upper case
	Args []Expr
	Star bool // COUNT(*)
	Line int
}

// CastExpr is CAST(x AS type) or CONVERT(type, x [, style]).
type CastExpr struct {
	X    Expr
	Type sqlval.Column
}

// CaseExpr is CASE [operand] WHEN … THEN … [ELSE …] END.
type CaseExpr struct {
	Operand Expr
	Whens   []CaseWhen
	Else    Expr
}

// CaseWhen is one WHEN branch; Cond is used without an operand, Match with one.
type CaseWhen struct {
	Cond   Cond
	Match  Expr
	Result Expr
}

// SubqueryExpr is a scalar subquery.
type SubqueryExpr struct {
	Select *SelectStmt
}

func (*Literal) isExpr()      {}
func (*VarRef) isExpr()       {}
func (*SysVarRef) isExpr()    {}
func (*ColRef) isExpr()       {}
func (*Unary) isExpr()        {}
func (*Binary) isExpr()       {}
func (*FuncCall) isExpr()     {}
func (*CastExpr) isExpr()     {}
func (*CaseExpr) isExpr()     {}
func (*SubqueryExpr) isExpr() {}

// Compare is a comparison predicate.
type Compare struct {
	Op   string // "=", "<>", "<", ">", "<=", ">="
	L, R Expr
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// Like is x [NOT] LIKE pattern.
type Like struct {
	X, Pattern Expr
	Not        bool
}

// In is x [NOT] IN (list).
type In struct {
	X    Expr
	List []Expr
	Not  bool
}

// Exists is EXISTS (SELECT …).
type Exists struct {
	Select *SelectStmt
}

// Logic is AND or OR.
type Logic struct {
	And  bool
	L, R Cond
}

// NotCond is NOT cond.
type NotCond struct {
	X Cond
}

func (*Compare) isCond() {}
func (*IsNull) isCond()  {}
func (*Like) isCond()    {}
func (*In) isCond()      {}
func (*Exists) isCond()  {}
func (*Logic) isCond()   {}
func (*NotCond) isCond() {}
