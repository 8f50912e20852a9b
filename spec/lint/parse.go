package lint

import (
	"github.com/ejops/ejops/tsql"
)

type nodeKind int

const (
	nSimple nodeKind = iota
	nIf
	nWhile
	nBlock
	nModule
)

// node is one statement of a batch: a simple statement, an IF or WHILE with its bodies, a
// BEGIN…END block, or a module definition (which runs to the end of the batch).
type node struct {
	kind  nodeKind
	toks  []tsql.Token // simple: the statement with its ';'; IF/WHILE: the condition; module: the header
	cond  *cond
	body  []*node // block statements; IF/WHILE: the one body statement
	els   []*node // IF: the ELSE statement
	block string  // "", "TRY", "CATCH", "ATOMIC"
	first tsql.Token
	last  tsql.Token
	// module: statements that follow the module's body in the batch and become part of it
	trailing []tsql.Token
}

// leading holds the keywords that can start a statement; a statement not ended by ';' ends where
// one of them starts the next.
var leading = map[string]bool{}

func init() {
	for _, k := range []string{"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "ALTER", "DROP",
		"TRUNCATE", "EXEC", "EXECUTE", "DECLARE", "SET", "IF", "ELSE", "WHILE", "BEGIN", "END", "RETURN",
		"PRINT", "RAISERROR", "THROW", "USE", "GRANT", "DENY", "REVOKE", "WAITFOR", "COMMIT", "ROLLBACK",
		"SAVE", "WITH", "BREAK", "CONTINUE", "GOTO", "OPEN", "FETCH", "CLOSE", "DEALLOCATE", "BULK", "DBCC",
		"KILL", "BACKUP", "RESTORE", "RECONFIGURE", "SHUTDOWN", "CHECKPOINT"} {
		leading[k] = true
	}
}

// objectTypes are the words that follow DROP in a DROP statement (as opposed to ALTER TABLE … DROP).
var objectTypes = map[string]bool{"TABLE": true, "VIEW": true, "PROC": true, "PROCEDURE": true,
	"FUNCTION": true, "TRIGGER": true, "INDEX": true, "SCHEMA": true, "SEQUENCE": true, "SYNONYM": true,
	"TYPE": true, "USER": true, "ROLE": true, "STATISTICS": true, "LOGIN": true, "DATABASE": true,
	"DEFAULT": true, "RULE": true, "ASSEMBLY": true, "AGGREGATE": true, "SECURITY": true, "EXTERNAL": true,
	"FULLTEXT": true, "XML": true, "PARTITION": true, "CERTIFICATE": true, "MASTER": true,
	"SYMMETRIC": true, "ASYMMETRIC": true, "APPLICATION": true, "EVENT": true, "QUEUE": true,
	"SERVICE": true, "CONTRACT": true, "MESSAGE": true, "ROUTE": true, "CREDENTIAL": true}

var moduleTypes = map[string]bool{"PROC": true, "PROCEDURE": true, "FUNCTION": true, "TRIGGER": true}

type parser struct {
	t []tsql.Token
	p int
}

// parseBatch structures the significant tokens of one batch.
func parseBatch(toks []tsql.Token) []*node {
	ps := &parser{t: toks}
	return ps.list(false)
}

func (ps *parser) at(i int) tsql.Token {
	if i < 0 || i >= len(ps.t) {
		return tsql.Token{Kind: tsql.Whitespace}
	}
	return ps.t[i]
}

func (ps *parser) isBlockEnd(i int) bool {
	return ps.at(i).Is("END") && !ps.at(i+1).Is("CONVERSATION")
}

func (ps *parser) list(stopAtEnd bool) []*node {
	var out []*node
	for ps.p < len(ps.t) {
		if ps.t[ps.p].IsPunct(";") {
			ps.p++
			continue
		}
		if stopAtEnd && ps.isBlockEnd(ps.p) {
			break
		}
		out = append(out, ps.stmt())
	}
	return out
}

// isBlockBegin reports whether BEGIN at i opens a block (not BEGIN TRAN, DIALOG, …).
func (ps *parser) isBlockBegin(i int) bool {
	switch ps.at(i + 1).Upper {
	case "TRAN", "TRANSACTION", "DISTRIBUTED", "DIALOG", "CONVERSATION":
		return false
	}
	return true
}

func (ps *parser) stmt() *node {
	start := ps.p
	tk := ps.t[ps.p]
	switch {
	case tk.Is("IF") || tk.Is("WHILE"):
		n := &node{kind: nIf, first: tk}
		if tk.Is("WHILE") {
			n.kind = nWhile
		}
		ps.p++
		cs := ps.p
		ps.condition()
		n.toks = ps.t[cs:ps.p]
		n.cond = newCond(n.toks)
		n.body = ps.body()
		if n.kind == nIf {
			// a ';' may end the IF body before ELSE
			j := ps.p
			for j < len(ps.t) && ps.t[j].IsPunct(";") {
				j++
			}
			if ps.at(j).Is("ELSE") {
				ps.p = j + 1
				n.els = ps.body()
			}
		}
		n.last = ps.t[ps.p-1]
		return n
	case tk.Is("BEGIN") && ps.isBlockBegin(ps.p):
		n := &node{kind: nBlock, first: tk}
		ps.p++
		switch u := ps.at(ps.p).Upper; u {
		case "TRY", "CATCH", "ATOMIC":
			n.block = u
			ps.p++
			if u == "ATOMIC" && ps.at(ps.p).Is("WITH") && ps.at(ps.p+1).IsPunct("(") {
				ps.p++
				ps.skipParens()
			}
		}
		n.body = ps.list(true)
		if ps.isBlockEnd(ps.p) {
			ps.p++
			if n.block != "" && ps.at(ps.p).Is(n.block) {
				ps.p++
			}
		}
		n.last = ps.t[ps.p-1]
		n.toks = ps.t[start:ps.p]
		return n
	case ps.isModuleStart(ps.p):
		return ps.module()
	}
	ps.simple()
	return &node{kind: nSimple, toks: ps.t[start:ps.p], first: tk, last: ps.t[ps.p-1]}
}

func (ps *parser) skipParens() {
	depth := 0
	for ps.p < len(ps.t) {
		tk := ps.t[ps.p]
		ps.p++
		if tk.IsPunct("(") {
			depth++
		} else if tk.IsPunct(")") {
			depth--
			if depth <= 0 {
				return
			}
		}
	}
}

// body parses the statement controlled by an IF, ELSE or WHILE.
func (ps *parser) body() []*node {
	for ps.p < len(ps.t) && ps.t[ps.p].IsPunct(";") {
		ps.p++
	}
	if ps.p >= len(ps.t) || ps.isBlockEnd(ps.p) || ps.t[ps.p].Is("ELSE") {
		return nil
	}
	return []*node{ps.stmt()}
}

// condition advances over an IF or WHILE condition: up to the first statement start at depth 0.
func (ps *parser) condition() {
	depth, cases := 0, 0
	begin := ps.p
	for ps.p < len(ps.t) {
		tk := ps.t[ps.p]
		switch {
		case tk.IsPunct("("):
			depth++
		case tk.IsPunct(")"):
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case tk.Is("CASE"):
			cases++
		case tk.Is("END") && cases > 0:
			cases--
		case cases > 0:
		case tk.IsPunct(";"):
			return
		case ps.p > begin && tk.Kind == tsql.Ident && leading[tk.Upper] && ps.startsInCondition(ps.p):
			return
		}
		ps.p++
	}
}

func (ps *parser) startsInCondition(i int) bool {
	if ps.at(i).Is("WITH") {
		return ps.isCTE(i)
	}
	return true
}

// isCTE reports whether WITH at i starts a common table expression: WITH name [(cols)] AS (.
func (ps *parser) isCTE(i int) bool {
	j := i + 1
	if ps.at(j).Is("XMLNAMESPACES") {
		return true
	}
	k := ps.at(j).Kind
	if k != tsql.Ident && k != tsql.BracketIdent && k != tsql.QuotedIdent {
		return false
	}
	j++
	if ps.at(j).IsPunct("(") {
		depth := 0
		for ; j < len(ps.t); j++ {
			if ps.t[j].IsPunct("(") {
				depth++
			} else if ps.t[j].IsPunct(")") {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		j++
	}
	return ps.at(j).Is("AS") && ps.at(j+1).IsPunct("(")
}

// simple advances over one simple statement, including its terminating ';'.
func (ps *parser) simple() {
	st := stmtState{kw: ps.t[ps.p].Upper}
	if st.kw == "UPDATE" && ps.at(ps.p+1).Is("STATISTICS") {
		st.kw = "UPDATE STATISTICS"
	}
	if st.kw == "CREATE" || st.kw == "ALTER" {
		st.view = ps.at(ps.p+1).Is("VIEW") || ps.at(ps.p+3).Is("VIEW")
	}
	ps.p++
	depth, cases := 0, 0
	for ps.p < len(ps.t) {
		tk := ps.t[ps.p]
		switch {
		case tk.IsPunct("("):
			depth++
		case tk.IsPunct(")"):
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case tk.Is("CASE"):
			cases++
		case tk.Is("END") && cases > 0 && !ps.at(ps.p+1).Is("CONVERSATION"):
			cases--
		case cases > 0:
		case tk.IsPunct(";"):
			ps.p++
			return
		case ps.isBlockEnd(ps.p), tk.Is("ELSE"):
			return
		case tk.Kind == tsql.Ident && leading[tk.Upper] && ps.startsStatement(ps.p, &st):
			return
		case tk.Is("TO") || tk.Is("FROM"):
			st.sawTo = true
		case tk.Is("VALUES"):
			st.sawBody = true
		}
		ps.p++
	}
}

type stmtState struct {
	kw      string
	sawBody bool // INSERT: SELECT/VALUES/EXEC seen; WITH: the main statement seen
	sawSet  bool
	sawTo   bool // GRANT/DENY/REVOKE: the principal part started
	view    bool
}

// startsStatement decides whether the statement keyword at i begins a new statement or is a clause
// of the current one.
func (ps *parser) startsStatement(i int, st *stmtState) bool {
	tk, prev, next := ps.t[i], ps.at(i-1), ps.at(i+1)
	switch prev.Upper {
	case "UNION", "ALL", "EXCEPT", "INTERSECT", "FOR", "ON", "ROWS", "ROW", "THEN", "BULK", "NOT", "WITH", "OR":
		if tk.Upper != "WITH" {
			return false
		}
	case "AS":
		if st.view || tk.Upper == "SELECT" {
			return false
		}
	}
	if st.kw == "MERGE" && tk.Upper != "MERGE" {
		return false
	}
	grant := st.kw == "GRANT" || st.kw == "DENY" || st.kw == "REVOKE"
	switch tk.Upper {
	case "WITH":
		return ps.isCTE(i) && !(st.kw == "WITH" && !st.sawBody)
	case "SELECT":
		if grant && !st.sawTo {
			return false
		}
		if (st.kw == "INSERT" || st.kw == "WITH") && !st.sawBody {
			st.sawBody = true
			return false
		}
	case "INSERT", "UPDATE", "DELETE", "MERGE":
		if grant && !st.sawTo {
			return false
		}
		if st.kw == "WITH" && !st.sawBody {
			st.sawBody = true
			return false
		}
	case "EXEC", "EXECUTE":
		if grant && !st.sawTo {
			return false
		}
		if st.kw == "INSERT" && !st.sawBody {
			st.sawBody = true
			return false
		}
		if next.Is("AS") && (st.kw == "CREATE" || st.kw == "ALTER") {
			return false
		}
	case "SET":
		if st.kw == "UPDATE" && !st.sawSet {
			st.sawSet = true
			return false
		}
		if st.kw == "ALTER" || prev.Is("DELETE") || prev.Is("UPDATE") {
			return false
		}
	case "ALTER", "CREATE":
		if grant && !st.sawTo {
			return false
		}
		if tk.Upper == "ALTER" && next.Is("COLUMN") {
			return false
		}
	case "DROP":
		if st.kw == "ALTER" && !objectTypes[next.Upper] {
			return false
		}
	case "IF":
		if next.Is("EXISTS") && !ps.at(i+2).IsPunct("(") {
			return false
		}
	case "GRANT":
		if prev.Is("REVOKE") || prev.Is("WITH") {
			return false
		}
	}
	return true
}

// isModuleStart reports whether a CREATE [OR ALTER] or ALTER of a procedure, function or trigger
// starts at i.
func (ps *parser) isModuleStart(i int) bool {
	tk := ps.at(i)
	if tk.Is("CREATE") {
		if ps.at(i+1).Is("OR") && ps.at(i+2).Is("ALTER") {
			return moduleTypes[ps.at(i+3).Upper]
		}
		return moduleTypes[ps.at(i+1).Upper]
	}
	return tk.Is("ALTER") && moduleTypes[ps.at(i+1).Upper]
}

// module parses a module definition: it runs to the end of the batch. The header ends at the AS
// that introduces the body.
func (ps *parser) module() *node {
	start := ps.p
	n := &node{kind: nModule, first: ps.t[ps.p]}
	depth := 0
	ps.p++
	for ps.p < len(ps.t) {
		tk := ps.t[ps.p]
		if tk.IsPunct("(") {
			depth++
		} else if tk.IsPunct(")") && depth > 0 {
			depth--
		} else if depth == 0 && tk.Is("AS") && !ps.at(ps.p-1).Is("EXECUTE") && !ps.at(ps.p-1).Is("EXEC") &&
			!ps.at(ps.p+1).Is("CALLER") && !ps.at(ps.p+1).Is("OWNER") && !ps.at(ps.p+1).Is("SELF") {
			ps.p++
			break
		}
		ps.p++
	}
	n.toks = ps.t[start:ps.p]
	if ps.at(ps.p).Is("BEGIN") && ps.isBlockBegin(ps.p) {
		b := ps.stmt()
		n.body = []*node{b}
		for ps.p < len(ps.t) && ps.t[ps.p].IsPunct(";") {
			ps.p++
		}
		n.trailing = ps.t[ps.p:]
	} else {
		rest := ps.list(false)
		n.body = rest
		inlineTVF := ps.at(start + len(n.toks)).Is("RETURN")
		for i, s := range rest {
			if i == 0 {
				continue
			}
			switch s.first.Upper {
			case "GRANT", "DENY", "REVOKE":
			default:
				if !inlineTVF {
					continue
				}
			}
			n.trailing = ps.t[indexOf(ps.t, s.first):]
			break
		}
	}
	ps.p = len(ps.t)
	n.last = ps.t[len(ps.t)-1]
	return n
}

func indexOf(toks []tsql.Token, t tsql.Token) int {
	for i := range toks {
		if toks[i].Offset == t.Offset {
			return i
		}
	}
	return len(toks)
}
