package sqlexec

import (
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/ejops/ejops/emulator/internal/sqlval"
	"github.com/ejops/ejops/tsql"
)

// maxDepth bounds the nesting of expressions and blocks (SQL Server's error 191).
const maxDepth = 128

// maxOperators bounds the operators (arithmetic, unary, AND, OR) of one statement, and so the
// depth of its expression trees and the work of evaluating them (error 8632). SQL Server itself
// gives up far sooner on a long chain (error 8631, a few thousand operators).
const maxOperators = 1 << 15

const eofKind tsql.Kind = -1

// parseError carries a syntax error out of the recursive descent.
type parseError struct{ err *sqlval.Error }

type parser struct {
	src       string
	toks      []tsql.Token
	pos       int
	depth     int
	ops       int  // operators in the current statement
	sensitive bool // inside a statement holding a secret: never quote string literals in errors
	last      tsql.Token
	notParen  map[int]bool // positions of "(" known not to open a parenthesized condition
}

// recoverParse, deferred, turns a parseError panic into *err and clears *res.
func recoverParse[T any](res *T, err **sqlval.Error) {
	if r := recover(); r != nil {
		pe, ok := r.(parseError)
		if !ok {
			panic(r)
		}
		var zero T
		*res, *err = zero, pe.err
	}
}

// Parse parses a batch into statements. Errors are SQL Server's compile errors (102, 156, 105,
// 191, 2715), with the line of the offending token.
func Parse(src string) (stmts []Stmt, err *sqlval.Error) {
	p := newParser(src)
	defer recoverParse(&stmts, &err)
	first := true
	for !p.atEOF() {
		if p.isPunct(";") {
			p.next()
			continue
		}
		stmts = append(stmts, p.statement(first))
		first = false
	}
	return stmts, nil
}

// parseExpr parses a whole string as one scalar expression, such as a stored column default.
func parseExpr(src string) (e Expr, err *sqlval.Error) {
	p := newParser(src)
	defer recoverParse(&e, &err)
	e = p.expr()
	if !p.atEOF() {
		p.fail()
	}
	return e, nil
}

func newParser(src string) *parser {
	all := tsql.Lex(src)
	toks := make([]tsql.Token, 0, len(all)/2+1)
	for _, t := range all {
		switch t.Kind {
		case tsql.Whitespace, tsql.Newline, tsql.LineComment:
			continue
		case tsql.BlockComment:
			if !t.Bad {
				continue
			}
		}
		toks = append(toks, t)
	}
	p := &parser{src: src, toks: toks}
	if len(toks) > 0 {
		p.last = toks[len(toks)-1]
	}
	return p
}

func (p *parser) peek() tsql.Token {
	return p.peekAt(0)
}

func (p *parser) peekAt(n int) tsql.Token {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n]
	}
	return tsql.Token{Kind: eofKind, Line: p.last.Line}
}

func (p *parser) next() tsql.Token {
	t := p.peek()
	if t.Kind != eofKind {
		p.pos++
	}
	if t.Bad {
		p.failBad(t)
	}
	return t
}

func (p *parser) atEOF() bool { return p.pos >= len(p.toks) }

func (p *parser) isKw(words ...string) bool {
	return isKw(p.peek(), words...)
}

func isKw(t tsql.Token, words ...string) bool {
	if t.Kind != tsql.Ident {
		return false
	}
	for _, w := range words {
		if t.Upper == w {
			return true
		}
	}
	return false
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.Kind == tsql.Punct && t.Text == s
}

func (p *parser) acceptKw(words ...string) bool {
	if p.isKw(words...) {
		p.next()
		return true
	}
	return false
}

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectKw(w string) {
	if !p.acceptKw(w) {
		p.fail()
	}
}

func (p *parser) expectPunct(s string) {
	if !p.acceptPunct(s) {
		p.fail()
	}
}

// fail reports a syntax error at the current token (at the last token at the end of input).
func (p *parser) fail() {
	t := p.peek()
	if t.Kind == eofKind {
		t = p.last
		if p.sensitive && t.Kind == tsql.String {
			t = p.prevNonString()
		}
	} else if p.sensitive && t.Kind == tsql.String {
		t = p.prevNonString()
	}
	if t.Bad {
		p.failBad(t)
	}
	panic(parseError{syntaxError(t)})
}

func (p *parser) prevNonString() tsql.Token {
	for i := min(p.pos, len(p.toks)) - 1; i >= 0; i-- {
		if p.toks[i].Kind != tsql.String {
			return p.toks[i]
		}
	}
	return tsql.Token{Kind: eofKind, Line: 1}
}

func syntaxError(t tsql.Token) *sqlval.Error {
	var e *sqlval.Error
	switch {
	case t.Kind == eofKind:
		e = &sqlval.Error{Number: 102, Message: "Incorrect syntax near ''."}
	case t.Kind == tsql.Ident && reserved[t.Upper]:
		e = &sqlval.Error{Number: 156, Message: "Incorrect syntax near the keyword '" + t.Text + "'."}
	case t.Kind == tsql.String || t.Kind == tsql.BracketIdent || t.Kind == tsql.QuotedIdent:
		e = &sqlval.Error{Number: 102, Message: "Incorrect syntax near '" + t.Value() + "'."}
	default:
		e = &sqlval.Error{Number: 102, Message: "Incorrect syntax near '" + t.Text + "'."}
	}
	e.Class, e.State, e.Line = 15, 1, int32(t.Line)
	return e
}

// failBad reports an unterminated string, comment or identifier.
func (p *parser) failBad(t tsql.Token) {
	var e *sqlval.Error
	switch t.Kind {
	case tsql.String, tsql.BracketIdent, tsql.QuotedIdent:
		text := t.Value()
		if p.sensitive && t.Kind == tsql.String {
			text = ""
		}
		e = &sqlval.Error{Number: 105, Message: "Unclosed quotation mark after the character string '" + text + "'."}
	case tsql.BlockComment:
		e = &sqlval.Error{Number: 113, Message: "Missing end comment mark '*/'."}
	default:
		e = &sqlval.Error{Number: 102, Message: "Incorrect syntax near '" + t.Text + "'."}
	}
	e.Class, e.State, e.Line = 15, 1, int32(t.Line)
	panic(parseError{e})
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		panic(parseError{&sqlval.Error{Number: 191, Class: 15, State: 1, Line: int32(p.peek().Line),
			Message: "Some part of your SQL statement is nested too deeply. Rewrite the query or break it up into smaller queries."}})
	}
}

func (p *parser) leave() { p.depth-- }

// operator counts one operator of the current statement.
func (p *parser) operator() {
	p.ops++
	if p.ops > maxOperators {
		panic(parseError{&sqlval.Error{Number: 8632, Class: 17, State: 2, Line: int32(p.peek().Line),
			Message: "Internal error: An expression services limit has been reached. Please look for potentially complex expressions in your query, and try to simplify them."}})
	}
}

// try runs f and reports whether it parsed without error; on failure the position is restored.
func (p *parser) try(f func()) (ok bool) {
	save, depth, ops := p.pos, p.depth, p.ops
	defer func() {
		if r := recover(); r != nil {
			if _, isParse := r.(parseError); !isParse {
				panic(r)
			}
			p.pos, p.depth, p.ops = save, depth, ops
			ok = false
		}
	}()
	f()
	return true
}

// isName reports whether t can be an identifier.
func isName(t tsql.Token) bool {
	switch t.Kind {
	case tsql.BracketIdent, tsql.QuotedIdent:
		return true
	case tsql.Ident:
		return !reserved[t.Upper]
	}
	return false
}

func (p *parser) name() string {
	t := p.peek()
	if !isName(t) {
		p.fail()
	}
	p.next()
	if t.Kind == tsql.Ident {
		return t.Text
	}
	return t.Value()
}

// multiName parses a dotted name of up to four parts.
func (p *parser) multiName() []string {
	parts := []string{p.name()}
	for p.isPunct(".") && len(parts) < 4 {
		p.next()
		parts = append(parts, p.name())
	}
	return parts
}

func (p *parser) statement(first bool) Stmt {
	p.enter()
	outer := p.ops
	p.ops = 0
	defer func() { p.leave(); p.ops = outer }()
	t := p.peek()
	line := pos{t.Line}
	if t.Kind != tsql.Ident {
		if t.Kind == tsql.BracketIdent || t.Kind == tsql.QuotedIdent {
			if first {
				return p.execBody(line)
			}
		}
		p.fail()
	}
	switch t.Upper {
	case "EXEC", "EXECUTE":
		p.next()
		return p.execBody(line)
	case "DECLARE":
		p.next()
		return p.declare(line)
	case "SET":
		p.next()
		return p.set(line)
	case "SELECT":
		return p.selectStmt()
	case "IF":
		p.next()
		return p.ifStmt(line)
	case "BEGIN":
		p.next()
		return p.begin(line)
	case "COMMIT", "ROLLBACK":
		p.next()
		if p.acceptKw("TRAN", "TRANSACTION") {
			p.optTranName()
		} else {
			p.acceptKw("WORK")
		}
		return &TranStmt{pos: line, Kind: t.Upper}
	case "CREATE":
		p.next()
		if p.isKw("SCHEMA") && !first {
			panic(parseError{&sqlval.Error{Number: 111, Class: 15, State: 1, Line: int32(t.Line),
				Message: "'CREATE SCHEMA' must be the first statement in a query batch."}})
		}
		return p.create(line)
	case "ALTER":
		p.next()
		p.expectKw("DATABASE")
		return p.credential(line, "ALTER")
	case "DROP":
		p.next()
		if p.acceptKw("DATABASE") {
			return p.credential(line, "DROP")
		}
		p.expectKw("TABLE")
		return p.dropTable(line)
	case "INSERT":
		p.next()
		return p.insert(line)
	case "UPDATE":
		p.next()
		return p.update(line)
	case "DELETE":
		p.next()
		return p.delete(line)
	case "PRINT":
		p.next()
		return &PrintStmt{pos: line, Value: p.expr()}
	case "THROW":
		p.next()
		s := &ThrowStmt{pos: line}
		s.Number = p.expr()
		p.expectPunct(",")
		s.Message = p.expr()
		p.expectPunct(",")
		s.State = p.expr()
		return s
	case "RAISERROR":
		p.next()
		return p.raiserror(line)
	case "USE":
		p.next()
		return &UseStmt{pos: line, Database: p.name()}
	case "RETURN":
		p.next()
		s := &ReturnStmt{pos: line}
		if p.startsExpr() {
			s.Value = p.expr()
		}
		return s
	}
	if first && isName(t) {
		return p.execBody(line)
	}
	p.fail()
	return nil
}

// ifStmt parses the rest of IF cond statement [ELSE statement].
func (p *parser) ifStmt(line pos) Stmt {
	s := &IfStmt{pos: line}
	s.Cond = p.cond()
	s.Then = p.statement(false)
	if p.acceptKw("ELSE") {
		s.Else = p.statement(false)
	}
	return s
}

// begin parses the rest of BEGIN TRANSACTION or of a BEGIN … END block, which must not be empty.
func (p *parser) begin(line pos) Stmt {
	if p.acceptKw("TRAN", "TRANSACTION") {
		p.optTranName()
		return &TranStmt{pos: line, Kind: "BEGIN"}
	}
	if p.isKw("TRY", "DISTRIBUTED", "CATCH", "DIALOG", "CONVERSATION", "ATOMIC") {
		p.fail()
	}
	b := &BlockStmt{pos: line}
	for !p.isKw("END") {
		if p.atEOF() {
			p.fail()
		}
		if p.acceptPunct(";") {
			continue
		}
		b.Stmts = append(b.Stmts, p.statement(false))
	}
	if len(b.Stmts) == 0 {
		p.fail()
	}
	p.next()
	return b
}

// dropTable parses the rest of DROP TABLE [IF EXISTS] name, ….
func (p *parser) dropTable(line pos) Stmt {
	s := &DropTableStmt{pos: line}
	if p.isKw("IF") && isKw(p.peekAt(1), "EXISTS") {
		p.next()
		p.next()
		s.IfExists = true
	}
	for {
		s.Tables = append(s.Tables, p.tableName())
		if !p.acceptPunct(",") {
			return s
		}
	}
}

// delete parses the rest of DELETE [FROM] table [WHERE cond].
func (p *parser) delete(line pos) Stmt {
	p.acceptKw("FROM")
	s := &DeleteStmt{pos: line, Table: p.tableName()}
	if p.acceptKw("WHERE") {
		s.Where = p.cond()
	}
	return s
}

// raiserror parses the rest of RAISERROR (message, severity, state [, args…]) [WITH options].
func (p *parser) raiserror(line pos) Stmt {
	s := &RaiserrorStmt{pos: line}
	p.expectPunct("(")
	s.Message = p.expr()
	p.expectPunct(",")
	s.Severity = p.expr()
	p.expectPunct(",")
	s.State = p.expr()
	for p.acceptPunct(",") {
		s.Args = append(s.Args, p.expr())
	}
	p.expectPunct(")")
	if p.acceptKw("WITH") {
		for {
			if !p.acceptKw("NOWAIT", "LOG", "SETERROR") {
				p.fail()
			}
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	return s
}

// startsExpr reports whether the current token can begin a RETURN value.
func (p *parser) startsExpr() bool {
	t := p.peek()
	switch t.Kind {
	case tsql.Number, tsql.String, tsql.Variable, tsql.SysVariable, tsql.Binary:
		return true
	case tsql.Punct:
		return t.Text == "(" || t.Text == "-" || t.Text == "+" || t.Text == "~"
	case tsql.Ident:
		return t.Upper == "NULL" || t.Upper == "CAST" || t.Upper == "CONVERT" || t.Upper == "COALESCE" ||
			(!reserved[t.Upper] && p.peekAt(1).Kind == tsql.Punct && p.peekAt(1).Text == "(")
	}
	return false
}

func (p *parser) optTranName() {
	t := p.peek()
	if t.Kind == tsql.Variable || (t.Kind == tsql.Ident && !reserved[t.Upper] && !isStatementWord(t.Upper)) ||
		t.Kind == tsql.BracketIdent {
		p.next()
	}
}

// isStatementWord lists unreserved words that begin statements.
func isStatementWord(w string) bool {
	switch w {
	case "THROW", "TRY", "CATCH":
		return true
	}
	return false
}

func (p *parser) execBody(line pos) Stmt {
	s := &ExecStmt{pos: line}
	if p.peek().Kind == tsql.Variable && p.peekAt(1).Kind == tsql.Punct && p.peekAt(1).Text == "=" {
		s.RC = strings.ToLower(p.next().Text)
		p.next()
	}
	s.Proc = strings.Join(p.multiName(), ".")
	if !p.startsArg() {
		return s
	}
	for {
		s.Args = append(s.Args, p.execArg())
		if !p.acceptPunct(",") {
			return s
		}
	}
}

func (p *parser) startsArg() bool {
	t := p.peek()
	switch t.Kind {
	case tsql.Number, tsql.String, tsql.Variable, tsql.Binary:
		return true
	case tsql.Punct:
		return t.Text == "-" || t.Text == "+"
	case tsql.Ident:
		return t.Upper == "NULL" || t.Upper == "DEFAULT" || (!reserved[t.Upper] && !isStatementWord(t.Upper))
	}
	return false
}

func (p *parser) execArg() ExecArg {
	var a ExecArg
	if p.peek().Kind == tsql.Variable && p.peekAt(1).Kind == tsql.Punct && p.peekAt(1).Text == "=" {
		a.Name = p.next().Text
		p.next()
	}
	t := p.peek()
	switch {
	case t.Kind == tsql.Variable:
		p.next()
		a.Var = strings.ToLower(t.Text)
		a.Value = &VarRef{Name: a.Var, Text: t.Text, Line: t.Line}
	case isKw(t, "DEFAULT"):
		p.next()
		a.Default = true
	case t.Kind == tsql.Ident && !reserved[t.Upper] && t.Upper != "NULL":
		p.next()
		a.Value = stringLit(t.Text)
	default:
		a.Value = p.constant()
	}
	if p.acceptKw("OUTPUT", "OUT") {
		a.Output = true
	}
	return a
}

// constant parses a literal, optionally signed.
func (p *parser) constant() Expr {
	neg := false
	if p.isPunct("-") || p.isPunct("+") {
		neg = p.next().Text == "-"
		if p.peek().Kind != tsql.Number {
			p.fail()
		}
	}
	t := p.peek()
	switch t.Kind {
	case tsql.Number:
		p.next()
		return numberLit(p, t, neg)
	case tsql.String:
		p.next()
		return stringLit(t.Value())
	case tsql.Binary:
		p.next()
		return binaryLit(t.Text)
	case tsql.Ident:
		if t.Upper == "NULL" {
			p.next()
			return &Literal{Type: sqlval.Column{Type: sqlval.Int, Nullable: true}}
		}
	}
	p.fail()
	return nil
}

func stringLit(s string) *Literal {
	n := len(utf16.Encode([]rune(s)))
	if n == 0 {
		n = 1
	}
	if n > 4000 {
		n = sqlval.Max
	}
	return &Literal{Value: s, Type: sqlval.Column{Type: sqlval.NVarChar, Size: n}}
}

func binaryLit(text string) *Literal {
	h := text[2:]
	if len(h)%2 == 1 {
		h = "0" + h
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		b = []byte{}
	}
	n := len(b)
	if n == 0 {
		n = 1
	}
	if n > 8000 {
		n = sqlval.Max
	}
	return &Literal{Value: b, Type: sqlval.Column{Type: sqlval.VarBinary, Size: n}}
}

func numberLit(p *parser, t tsql.Token, neg bool) *Literal {
	text := t.Text
	if neg {
		text = "-" + text
	}
	if !strings.ContainsAny(text, ".eE") {
		if v, err := strconv.ParseInt(text, 10, 64); err == nil {
			typ := sqlval.Int
			if v > 2147483647 || v < -2147483648 {
				typ = sqlval.BigInt
			}
			return &Literal{Value: v, Type: sqlval.Column{Type: typ}}
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		p.fail()
	}
	return &Literal{Value: f, Type: sqlval.Column{Type: sqlval.Float}}
}

func (p *parser) declare(line pos) Stmt {
	s := &DeclareStmt{pos: line}
	for {
		t := p.peek()
		if t.Kind != tsql.Variable {
			p.fail()
		}
		p.next()
		p.acceptKw("AS")
		d := VarDecl{Name: strings.ToLower(t.Text), Type: p.dataType(false)}
		d.Type.Nullable = true
		if p.acceptPunct("=") {
			d.Init = p.expr()
		}
		s.Vars = append(s.Vars, d)
		if !p.acceptPunct(",") {
			return s
		}
	}
}

// setOptions are the ON/OFF options SET accepts.
var setOptions = map[string]bool{
	"XACT_ABORT": true, "NOCOUNT": true, "ANSI_NULLS": true, "QUOTED_IDENTIFIER": true,
	"ANSI_WARNINGS": true, "ANSI_PADDING": true, "ANSI_NULL_DFLT_ON": true, "ARITHABORT": true,
	"CONCAT_NULL_YIELDS_NULL": true, "NUMERIC_ROUNDABORT": true, "IMPLICIT_TRANSACTIONS": true,
	"CURSOR_CLOSE_ON_COMMIT": true, "ANSI_DEFAULTS": true, "FMTONLY": true,
}

func (p *parser) set(line pos) Stmt {
	t := p.peek()
	if t.Kind == tsql.Variable {
		p.next()
		s := &SetVarStmt{pos: line, Var: strings.ToLower(t.Text)}
		op := p.peek()
		if op.Kind != tsql.Punct {
			p.fail()
		}
		switch op.Text {
		case "=", "+=", "-=", "*=", "/=":
			s.Op = op.Text
		default:
			p.fail()
		}
		p.next()
		s.Value = p.expr()
		return s
	}
	if t.Kind != tsql.Ident {
		p.fail()
	}
	switch t.Upper {
	case "TRANSACTION":
		p.next()
		p.expectKw("ISOLATION")
		p.expectKw("LEVEL")
		switch {
		case p.acceptKw("READ"):
			if !p.acceptKw("COMMITTED", "UNCOMMITTED") {
				p.fail()
			}
		case p.acceptKw("REPEATABLE"):
			p.expectKw("READ")
		case p.acceptKw("SERIALIZABLE", "SNAPSHOT"):
		default:
			p.fail()
		}
		return &SetOptionStmt{pos: line, Option: "TRANSACTION ISOLATION LEVEL", On: true}
	case "LOCK_TIMEOUT", "TEXTSIZE", "ROWCOUNT", "DEADLOCK_PRIORITY":
		p.next()
		s := &SetOptionStmt{pos: line, Option: t.Upper, On: true}
		if t.Upper == "DEADLOCK_PRIORITY" && p.acceptKw("LOW", "NORMAL", "HIGH") {
			return s
		}
		if p.peek().Kind == tsql.Variable {
			v := p.next()
			s.Value = &VarRef{Name: strings.ToLower(v.Text), Text: v.Text, Line: v.Line}
		} else {
			s.Value = p.constant()
		}
		return s
	case "DATEFORMAT", "LANGUAGE", "DATEFIRST":
		p.next()
		if isName(p.peek()) {
			p.next()
		} else {
			p.constant()
		}
		return &SetOptionStmt{pos: line, Option: t.Upper, On: true}
	}
	var opts []string
	for {
		o := p.peek()
		if o.Kind != tsql.Ident {
			p.fail()
		}
		if !setOptions[o.Upper] {
			panic(parseError{&sqlval.Error{Number: 195, Class: 15, State: 1, Line: int32(o.Line),
				Message: "'" + o.Text + "' is not a recognized SET option."}})
		}
		p.next()
		opts = append(opts, o.Upper)
		if !p.acceptPunct(",") {
			break
		}
	}
	var on bool
	switch {
	case p.acceptKw("ON"):
		on = true
	case p.acceptKw("OFF"):
	default:
		p.fail()
	}
	if len(opts) == 1 {
		return &SetOptionStmt{pos: line, Option: opts[0], On: on}
	}
	b := &BlockStmt{pos: line}
	for _, o := range opts {
		b.Stmts = append(b.Stmts, &SetOptionStmt{pos: line, Option: o, On: on})
	}
	return b
}

func (p *parser) create(line pos) Stmt {
	switch {
	case p.acceptKw("MASTER"):
		p.sensitive = true
		defer func() { p.sensitive = false }()
		p.expectKw("KEY")
		// [D] On Azure SQL Database the password is optional: "CREATE MASTER KEY (Transact-SQL)",
		// https://learn.microsoft.com/sql/t-sql/statements/create-master-key-transact-sql.
		if !p.acceptKw("ENCRYPTION") {
			return &MasterKeyStmt{pos: line}
		}
		p.expectKw("BY")
		p.expectKw("PASSWORD")
		p.expectPunct("=")
		return &MasterKeyStmt{pos: line, Password: p.stringValue()}
	case p.acceptKw("DATABASE"):
		return p.credential(line, "CREATE")
	case p.acceptKw("SCHEMA"):
		s := &CreateSchemaStmt{pos: line, Name: p.name()}
		if p.acceptKw("AUTHORIZATION") {
			p.name()
		}
		return s
	case p.acceptKw("TABLE"):
		return p.createTable(line)
	}
	p.fail()
	return nil
}

func (p *parser) stringValue() string {
	t := p.peek()
	if t.Kind != tsql.String {
		p.fail()
	}
	p.next()
	return t.Value()
}

func (p *parser) credential(line pos, action string) Stmt {
	p.sensitive = true
	defer func() { p.sensitive = false }()
	p.expectKw("SCOPED")
	p.expectKw("CREDENTIAL")
	s := &CredentialStmt{pos: line, Action: action, Name: p.name()}
	if action == "DROP" {
		return s
	}
	p.expectKw("WITH")
	p.expectKw("IDENTITY")
	p.expectPunct("=")
	s.Identity = p.stringValue()
	if p.acceptPunct(",") {
		p.expectKw("SECRET")
		p.expectPunct("=")
		s.Secret = p.stringValue()
		s.HasSecret = true
	}
	return s
}

func (p *parser) tableName() TableRef {
	line := p.peek().Line
	parts := p.multiName()
	r := TableRef{Line: line}
	switch len(parts) {
	case 1:
		r.Name = parts[0]
	default:
		r.Schema, r.Name = parts[len(parts)-2], parts[len(parts)-1]
	}
	return r
}

func (p *parser) createTable(line pos) Stmt {
	s := &CreateTableStmt{pos: line, Table: p.tableName()}
	p.expectPunct("(")
	var pk []string
	for {
		if p.isKw("CONSTRAINT", "PRIMARY") {
			if p.acceptKw("CONSTRAINT") {
				p.name()
			}
			p.expectKw("PRIMARY")
			p.expectKw("KEY")
			p.acceptKw("CLUSTERED", "NONCLUSTERED")
			p.expectPunct("(")
			for {
				pk = append(pk, p.name())
				p.acceptKw("ASC", "DESC")
				if !p.acceptPunct(",") {
					break
				}
			}
			p.expectPunct(")")
		} else {
			s.Cols = append(s.Cols, p.columnDef())
		}
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
	for _, k := range pk {
		found := false
		for i := range s.Cols {
			if strings.EqualFold(s.Cols[i].Name, k) {
				s.Cols[i].PrimaryKey = true
				s.Cols[i].Type.Nullable = false
				found = true
			}
		}
		if !found {
			panic(parseError{&sqlval.Error{Number: 1911, Class: 16, State: 1, Line: int32(line.Line),
				Message: "Column name '" + k + "' does not exist in the target table or view."}})
		}
	}
	return s
}

func (p *parser) columnDef() ColDef {
	c := ColDef{Name: p.name(), Type: p.dataType(false)}
	c.Type.Nullable = true
	explicitNull := false
	for {
		switch {
		case p.acceptKw("CONSTRAINT"):
			p.name()
		case p.acceptKw("NOT"):
			p.expectKw("NULL")
			c.Type.Nullable = false
		case p.acceptKw("NULL"):
			explicitNull = true
		case p.acceptKw("PRIMARY"):
			p.expectKw("KEY")
			p.acceptKw("CLUSTERED", "NONCLUSTERED")
			c.PrimaryKey = true
		case p.acceptKw("DEFAULT"):
			start := p.peek().Offset
			c.Default = p.expr()
			end := p.toks[p.pos-1]
			c.DefaultText = p.src[start : end.Offset+len(end.Text)]
		default:
			if c.PrimaryKey && !explicitNull {
				c.Type.Nullable = false
			}
			return c
		}
	}
}

// dataType parses a type name. In CAST and CONVERT, character and binary types without a length
// are 30 long; elsewhere 1.
func (p *parser) dataType(inCast bool) sqlval.Column {
	t := p.peek()
	if t.Kind != tsql.Ident && t.Kind != tsql.BracketIdent {
		p.fail()
	}
	p.next()
	name := strings.ToUpper(t.Value())
	if t.Kind == tsql.Ident {
		name = t.Upper
	}
	if name == "SYS" && p.acceptPunct(".") {
		name = strings.ToUpper(p.name())
	}
	deflen := 1
	if inCast {
		deflen = 30
	}
	col := sqlval.Column{}
	switch name {
	case "NVARCHAR", "VARCHAR", "NCHAR", "CHAR", "NTEXT", "TEXT":
		col.Type, col.Size = sqlval.NVarChar, p.length(deflen, 4000)
		if name == "NTEXT" || name == "TEXT" {
			col.Size = sqlval.Max
		}
	case "SYSNAME":
		col.Type, col.Size = sqlval.NVarChar, 128
	case "VARBINARY", "BINARY", "IMAGE":
		col.Type, col.Size = sqlval.VarBinary, p.length(deflen, 8000)
	case "INT", "INTEGER":
		col.Type = sqlval.Int
	case "BIGINT":
		col.Type = sqlval.BigInt
	case "SMALLINT":
		col.Type = sqlval.SmallInt
	case "TINYINT":
		col.Type = sqlval.TinyInt
	case "BIT":
		col.Type = sqlval.Bit
	case "REAL":
		col.Type, col.Size = sqlval.Float, 4
	case "FLOAT":
		col.Type = sqlval.Float
		if p.acceptPunct("(") {
			// FLOAT(1) to FLOAT(24) is real, a 4-byte float.
			if l, ok := p.constant().(*Literal); ok {
				if n, ok := l.Value.(int64); ok && n <= 24 {
					col.Size = 4
				}
			}
			p.expectPunct(")")
		}
	case "DATETIME2", "DATETIMEOFFSET":
		col.Type = sqlval.DateTime2
		if name == "DATETIMEOFFSET" {
			col.Type = sqlval.DateTimeOffset
		}
		if p.acceptPunct("(") {
			p.constant()
			p.expectPunct(")")
		}
	case "DATETIME", "SMALLDATETIME":
		col.Type = sqlval.DateTime
	case "UNIQUEIDENTIFIER":
		col.Type = sqlval.GUID
	default:
		panic(parseError{&sqlval.Error{Number: 2715, Class: 16, State: 3, Line: int32(t.Line),
			Message: "Column, parameter, or variable #1: Cannot find data type " + t.Value() + "."}})
	}
	return col
}

func (p *parser) length(def, limit int) int {
	if !p.acceptPunct("(") {
		return def
	}
	t := p.peek()
	var n int
	switch {
	case isKw(t, "MAX"):
		p.next()
		n = sqlval.Max
	case t.Kind == tsql.Number:
		p.next()
		v, err := strconv.Atoi(t.Text)
		if err != nil || v < 1 || v > limit {
			panic(parseError{&sqlval.Error{Number: 2717, Class: 16, State: 2, Line: int32(t.Line),
				Message: "The size (" + t.Text + ") given to the type exceeds the maximum allowed (" + strconv.Itoa(limit) + ")."}})
		}
		n = v
	default:
		p.fail()
	}
	p.expectPunct(")")
	return n
}

func (p *parser) insert(line pos) Stmt {
	p.acceptKw("INTO")
	s := &InsertStmt{pos: line, Table: p.tableName()}
	if p.acceptPunct("(") {
		for {
			s.Cols = append(s.Cols, p.name())
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct(")")
	}
	p.expectKw("VALUES")
	for {
		p.expectPunct("(")
		var row []Expr
		for {
			if p.isKw("DEFAULT") {
				p.next()
				row = append(row, nil)
			} else {
				row = append(row, p.expr())
			}
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct(")")
		s.Rows = append(s.Rows, row)
		if !p.acceptPunct(",") {
			return s
		}
	}
}

func (p *parser) update(line pos) Stmt {
	s := &UpdateStmt{pos: line, Table: p.tableName()}
	p.expectKw("SET")
	for {
		parts := p.multiName()
		p.expectPunct("=")
		s.Sets = append(s.Sets, SetClause{Col: parts[len(parts)-1], Value: p.expr()})
		if !p.acceptPunct(",") {
			break
		}
	}
	if p.acceptKw("WHERE") {
		s.Where = p.cond()
	}
	return s
}

func (p *parser) selectStmt() *SelectStmt {
	p.enter()
	defer p.leave()
	s := &SelectStmt{pos: pos{p.peek().Line}}
	p.expectKw("SELECT")
	if p.acceptKw("DISTINCT") {
		s.Distinct = true
	} else {
		p.acceptKw("ALL")
	}
	if p.acceptKw("TOP") {
		if p.acceptPunct("(") {
			s.Top = p.expr()
			p.expectPunct(")")
		} else {
			s.Top = p.constant()
		}
	}
	for {
		s.Items = append(s.Items, p.selectItem())
		if !p.acceptPunct(",") {
			break
		}
	}
	if p.acceptKw("FROM") {
		r := p.fromTable()
		s.From = &r
		for {
			var j Join
			switch {
			case p.acceptKw("JOIN"):
			case p.acceptKw("INNER"):
				p.expectKw("JOIN")
			case p.acceptKw("LEFT"):
				p.acceptKw("OUTER")
				p.expectKw("JOIN")
				j.Left = true
			}
			if p.pos > 0 && !isKw(p.toks[p.pos-1], "JOIN") {
				break
			}
			j.Table = p.fromTable()
			p.expectKw("ON")
			j.On = p.cond()
			s.Joins = append(s.Joins, j)
		}
		if p.acceptKw("WHERE") {
			s.Where = p.cond()
		}
	}
	if p.acceptKw("ORDER") {
		p.expectKw("BY")
		for {
			o := OrderItem{Expr: p.expr()}
			if p.acceptKw("DESC") {
				o.Desc = true
			} else {
				p.acceptKw("ASC")
			}
			s.OrderBy = append(s.OrderBy, o)
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	return s
}

// fromTable parses a table of a FROM clause with its alias and table hints.
func (p *parser) fromTable() TableRef {
	r := p.tableName()
	if p.acceptKw("AS") {
		r.Alias = p.name()
	} else if isName(p.peek()) && !isStatementWord(p.peek().Upper) && !p.isKw("WITH") {
		r.Alias = p.name()
	}
	if p.isKw("WITH") && p.peekAt(1).Kind == tsql.Punct && p.peekAt(1).Text == "(" {
		p.next()
		p.next()
		for {
			if !p.acceptKw("NOLOCK", "UPDLOCK", "HOLDLOCK", "READPAST", "ROWLOCK", "SERIALIZABLE",
				"READCOMMITTED", "READUNCOMMITTED", "REPEATABLEREAD", "TABLOCK", "TABLOCKX", "XLOCK") {
				p.fail()
			}
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct(")")
	}
	return r
}

func (p *parser) selectItem() SelectItem {
	t := p.peek()
	if t.Kind == tsql.Punct && t.Text == "*" {
		p.next()
		return SelectItem{Star: true}
	}
	if isName(t) && p.peekAt(1).Kind == tsql.Punct && p.peekAt(1).Text == "." &&
		p.peekAt(2).Kind == tsql.Punct && p.peekAt(2).Text == "*" {
		p.next()
		p.next()
		p.next()
		return SelectItem{Star: true, Qual: strings.ToLower(nameText(t))}
	}
	if t.Kind == tsql.Variable {
		if op := p.peekAt(1); op.Kind == tsql.Punct {
			switch op.Text {
			case "=", "+=", "-=", "*=", "/=":
				p.next()
				p.next()
				return SelectItem{Assign: strings.ToLower(t.Text), Op: op.Text, Expr: p.expr()}
			}
		}
	}
	if (isName(t) || t.Kind == tsql.String) && p.peekAt(1).Kind == tsql.Punct && p.peekAt(1).Text == "=" {
		p.next()
		p.next()
		return SelectItem{Alias: nameText(t), Expr: p.expr()}
	}
	it := SelectItem{Expr: p.expr()}
	if p.acceptKw("AS") {
		a := p.peek()
		if a.Kind == tsql.String {
			p.next()
			it.Alias = a.Value()
		} else {
			it.Alias = p.name()
		}
	} else if a := p.peek(); (isName(a) && !isStatementWord(a.Upper)) || a.Kind == tsql.String {
		p.next()
		it.Alias = nameText(a)
	}
	return it
}

func nameText(t tsql.Token) string {
	if t.Kind == tsql.Ident {
		return t.Text
	}
	return t.Value()
}

// cond parses a search condition.
func (p *parser) cond() Cond {
	p.enter()
	defer p.leave()
	l := p.andCond()
	for p.acceptKw("OR") {
		p.operator()
		l = &Logic{L: l, R: p.andCond()}
	}
	return l
}

func (p *parser) andCond() Cond {
	l := p.notCond()
	for p.acceptKw("AND") {
		p.operator()
		l = &Logic{And: true, L: l, R: p.notCond()}
	}
	return l
}

func (p *parser) notCond() Cond {
	if p.acceptKw("NOT") {
		p.enter()
		defer p.leave()
		return &NotCond{X: p.notCond()}
	}
	return p.predicate()
}

// continuesExpr reports whether the current token extends an expression into a predicate.
func (p *parser) continuesExpr() bool {
	t := p.peek()
	if t.Kind == tsql.Punct {
		switch t.Text {
		case "=", "<>", "!=", "<", ">", "<=", ">=", "!<", "!>", "+", "-", "*", "/", "%", "&", "|", "^":
			return true
		}
	}
	return isKw(t, "IS", "LIKE", "IN", "NOT", "BETWEEN")
}

func (p *parser) predicate() Cond {
	if p.acceptKw("EXISTS") {
		p.expectPunct("(")
		s := p.selectStmt()
		p.expectPunct(")")
		return &Exists{Select: s}
	}
	if p.isPunct("(") && !isKw(p.peekAt(1), "SELECT") && !p.notParen[p.pos] {
		var c Cond
		at := p.pos
		if p.try(func() {
			p.next()
			c = p.cond()
			p.expectPunct(")")
			if p.continuesExpr() {
				p.fail()
			}
		}) {
			return c
		}
		// A parenthesis that does not open a condition never will: remember it, so that
		// re-parsing it as an expression stays linear.
		if p.notParen == nil {
			p.notParen = map[int]bool{}
		}
		p.notParen[at] = true
	}
	l := p.expr()
	not := false
	if p.isKw("NOT") && isKw(p.peekAt(1), "LIKE", "IN", "BETWEEN") {
		p.next()
		not = true
	}
	t := p.peek()
	switch {
	case t.Kind == tsql.Punct && !not:
		op := t.Text
		switch op {
		case "=", "<>", "<", ">", "<=", ">=":
		case "!=":
			op = "<>"
		case "!<":
			op = ">="
		case "!>":
			op = "<="
		default:
			p.fail()
		}
		p.next()
		return &Compare{Op: op, L: l, R: p.expr()}
	case isKw(t, "IS") && !not:
		p.next()
		n := p.acceptKw("NOT")
		p.expectKw("NULL")
		return &IsNull{X: l, Not: n}
	case isKw(t, "LIKE"):
		p.next()
		c := &Like{X: l, Pattern: p.expr(), Not: not}
		if p.acceptKw("ESCAPE") {
			p.fail()
		}
		return c
	case isKw(t, "IN"):
		p.next()
		p.expectPunct("(")
		in := &In{X: l, Not: not}
		for {
			in.List = append(in.List, p.expr())
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct(")")
		return in
	case isKw(t, "BETWEEN"):
		p.next()
		lo := p.expr()
		p.expectKw("AND")
		hi := p.expr()
		var c Cond = &Logic{And: true, L: &Compare{Op: ">=", L: l, R: lo}, R: &Compare{Op: "<=", L: l, R: hi}}
		if not {
			c = &NotCond{X: c}
		}
		return c
	}
	p.fail()
	return nil
}

// expr parses a scalar expression.
func (p *parser) expr() Expr {
	p.enter()
	defer p.leave()
	l := p.term()
	for {
		t := p.peek()
		if t.Kind != tsql.Punct || (t.Text != "+" && t.Text != "-" && t.Text != "&" && t.Text != "|" && t.Text != "^") {
			return l
		}
		p.next()
		p.operator()
		l = &Binary{Op: t.Text, L: l, R: p.term()}
	}
}

func (p *parser) term() Expr {
	l := p.unary()
	for {
		t := p.peek()
		if t.Kind != tsql.Punct || (t.Text != "*" && t.Text != "/" && t.Text != "%") {
			return l
		}
		p.next()
		p.operator()
		l = &Binary{Op: t.Text, L: l, R: p.unary()}
	}
}

func (p *parser) unary() Expr {
	t := p.peek()
	if t.Kind == tsql.Punct && (t.Text == "-" || t.Text == "+" || t.Text == "~") {
		p.next()
		p.enter()
		defer p.leave()
		p.operator()
		if t.Text == "-" && p.peek().Kind == tsql.Number {
			return numberLit(p, p.next(), true)
		}
		return &Unary{Op: t.Text, X: p.unary()}
	}
	return p.primary()
}

func (p *parser) primary() Expr {
	t := p.peek()
	switch t.Kind {
	case tsql.Number, tsql.String, tsql.Binary:
		return p.constant()
	case tsql.Variable:
		p.next()
		return &VarRef{Name: strings.ToLower(t.Text), Text: t.Text, Line: t.Line}
	case tsql.SysVariable:
		p.next()
		u := strings.ToUpper(t.Text)
		switch u {
		case "@@TRANCOUNT", "@@ROWCOUNT", "@@ERROR", "@@VERSION", "@@SPID", "@@SERVERNAME", "@@IDENTITY":
			return &SysVarRef{Name: u}
		}
		panic(parseError{&sqlval.Error{Number: 137, Class: 15, State: 2, Line: int32(t.Line),
			Message: "Must declare the scalar variable \"" + t.Text + "\"."}})
	case tsql.Punct:
		if t.Text == "(" {
			p.next()
			if p.isKw("SELECT") {
				s := p.selectStmt()
				p.expectPunct(")")
				return &SubqueryExpr{Select: s}
			}
			e := p.expr()
			p.expectPunct(")")
			return e
		}
	case tsql.BracketIdent, tsql.QuotedIdent:
		return p.columnRef()
	case tsql.Ident:
		switch t.Upper {
		case "NULL":
			return p.constant()
		case "CAST":
			p.next()
			p.expectPunct("(")
			x := p.expr()
			p.expectKw("AS")
			typ := p.dataType(true)
			p.expectPunct(")")
			return &CastExpr{X: x, Type: typ}
		case "CONVERT", "TRY_CONVERT":
			p.next()
			p.expectPunct("(")
			typ := p.dataType(true)
			p.expectPunct(",")
			x := p.expr()
			if p.acceptPunct(",") {
				p.constant()
			}
			p.expectPunct(")")
			return &CastExpr{X: x, Type: typ}
		case "CASE":
			return p.caseExpr()
		case "COALESCE", "NULLIF", "LEFT", "RIGHT":
			return p.funcCall()
		}
		if reserved[t.Upper] {
			p.fail()
		}
		if n := p.peekAt(1); n.Kind == tsql.Punct && n.Text == "(" {
			return p.funcCall()
		}
		return p.columnRef()
	}
	p.fail()
	return nil
}

func (p *parser) columnRef() Expr {
	parts := p.multiName()
	c := &ColRef{Name: parts[len(parts)-1], idx: -1}
	if len(parts) > 1 {
		c.Qual = strings.ToLower(parts[len(parts)-2])
	}
	return c
}

func (p *parser) funcCall() Expr {
	t := p.next()
	f := &FuncCall{Name: t.Upper, Line: t.Line}
	p.expectPunct("(")
	if p.acceptPunct(")") {
		return f
	}
	if p.isPunct("*") {
		p.next()
		f.Star = true
		p.expectPunct(")")
		return f
	}
	for {
		f.Args = append(f.Args, p.expr())
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
	return f
}

func (p *parser) caseExpr() Expr {
	p.next()
	c := &CaseExpr{}
	if !p.isKw("WHEN") {
		c.Operand = p.expr()
	}
	for p.acceptKw("WHEN") {
		var w CaseWhen
		if c.Operand != nil {
			w.Match = p.expr()
		} else {
			w.Cond = p.cond()
		}
		p.expectKw("THEN")
		w.Result = p.expr()
		c.Whens = append(c.Whens, w)
	}
	if len(c.Whens) == 0 {
		p.fail()
	}
	if p.acceptKw("ELSE") {
		c.Else = p.expr()
	}
	p.expectKw("END")
	return c
}

// ParseDecl parses an sp_executesql parameter declaration list such as
// "@p1 nvarchar(5),@x int output".
func ParseDecl(decl string) (params []DeclParam, err *sqlval.Error) {
	p := newParser(decl)
	defer recoverParse(&params, &err)
	for more := !p.atEOF(); more; {
		t := p.peek()
		if t.Kind != tsql.Variable {
			p.fail()
		}
		p.next()
		p.acceptKw("AS")
		d := DeclParam{Name: strings.ToLower(t.Text), Type: p.dataType(false)}
		d.Type.Nullable = true
		if p.acceptKw("OUTPUT", "OUT") {
			d.Output = true
		}
		if p.acceptPunct("=") {
			p.constant()
		}
		params = append(params, d)
		more = p.acceptPunct(",")
	}
	if !p.atEOF() {
		p.fail()
	}
	return params, nil
}

// DeclParam is one parameter declared for sp_executesql.
type DeclParam struct {
	Name   string // lowercase with @
	Type   sqlval.Column
	Output bool
}
