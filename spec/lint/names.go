package lint

import (
	"strings"

	"github.com/ejops/ejops/tsql"
)

// probeFuncs are the functions whose presence makes a condition an existence probe.
var probeFuncs = map[string]bool{"OBJECT_ID": true, "COL_LENGTH": true, "COLUMNPROPERTY": true,
	"SCHEMA_ID": true, "TYPE_ID": true, "DATABASE_PRINCIPAL_ID": true, "USER_ID": true,
	"INDEXPROPERTY": true, "OBJECTPROPERTY": true, "OBJECTPROPERTYEX": true, "INDEX_COL": true,
	"SUSER_ID": true, "SUSER_SID": true, "IS_ROLEMEMBER": true, "COL_NAME": true}

// cond is an IF or WHILE condition (or an early exit's condition) seen from the statements it guards.
type cond struct {
	toks     []tsql.Token
	names    map[string]bool // case-folded name parts of identifiers and string literals
	sysProbe bool            // a probe function or a sys./INFORMATION_SCHEMA. catalog reference
	exists   bool            // EXISTS or a subquery
	rowcount bool            // @@ROWCOUNT
	vars     []string        // case-folded local variables the condition reads
	varGuard bool            // reads a variable assigned earlier in the batch from a query or probe
	positive bool            // tests that something exists (IS NOT NULL, EXISTS without NOT)
	negative bool            // tests that something is missing (IS NULL, NOT EXISTS)
	logicNot bool            // a NOT other than NOT EXISTS or IS NOT NULL
	subProbe bool            // probes a column, index or other part of a table, not the table itself
}

func newCond(toks []tsql.Token) *cond {
	c := &cond{toks: toks, names: map[string]bool{}}
	for i, t := range toks {
		switch t.Kind {
		case tsql.Ident:
			if probeFuncs[t.Upper] && i+1 < len(toks) && toks[i+1].IsPunct("(") {
				c.sysProbe = true
				switch t.Upper {
				case "OBJECT_ID", "SCHEMA_ID", "TYPE_ID", "DATABASE_PRINCIPAL_ID", "USER_ID", "SUSER_ID", "SUSER_SID":
				default:
					c.subProbe = true
				}
			}
			switch t.Upper {
			case "SYS", "INFORMATION_SCHEMA":
				if i+2 < len(toks) && toks[i+1].IsPunct(".") {
					c.sysProbe = true
					switch strings.ToUpper(toks[i+2].Value()) {
					case "TABLES", "OBJECTS", "ALL_OBJECTS", "SCHEMAS":
					default:
						c.subProbe = true
					}
				}
			case "NOT":
				if i+1 < len(toks) && !toks[i+1].Is("EXISTS") && !(i > 0 && toks[i-1].Is("IS")) {
					c.logicNot = true
				}
			case "EXISTS":
				c.exists = true
				if i > 0 && toks[i-1].Is("NOT") {
					c.negative = true
				} else {
					c.positive = true
				}
			case "SELECT":
				c.exists = true
			case "IS":
				if i+1 < len(toks) && toks[i+1].Is("NOT") {
					c.positive = true
				} else if i+1 < len(toks) && toks[i+1].Is("NULL") {
					c.negative = true
				}
			}
			c.names[strings.ToLower(t.Text)] = true
		case tsql.BracketIdent, tsql.QuotedIdent:
			c.names[strings.ToLower(t.Value())] = true
		case tsql.String:
			for _, p := range splitName(t.Value()) {
				c.names[strings.ToLower(p)] = true
			}
		case tsql.Variable:
			c.vars = append(c.vars, strings.ToLower(t.Text))
		case tsql.SysVariable:
			if t.Upper == "@@ROWCOUNT" || strings.EqualFold(t.Text, "@@ROWCOUNT") {
				c.rowcount = true
			}
		}
	}
	return c
}

// sense tells what the condition tests when it is true: that something exists, that it is
// missing, or (mixed tests, logical NOT) unknown.
func (c *cond) sense() sense {
	switch {
	case c.logicNot || c.positive == c.negative:
		return unknown
	case c.positive:
		return present
	}
	return absent
}

// queryValued reports whether an expression reads the database: a subquery, a probe function, a
// catalog view or @@ROWCOUNT.
func queryValued(toks []tsql.Token) bool {
	for i, t := range toks {
		switch t.Kind {
		case tsql.Ident:
			switch {
			case t.Upper == "SELECT" || t.Upper == "FROM" || t.Upper == "EXISTS":
				return true
			case probeFuncs[t.Upper] && i+1 < len(toks) && toks[i+1].IsPunct("("):
				return true
			case (t.Upper == "SYS" || t.Upper == "INFORMATION_SCHEMA") && i+1 < len(toks) && toks[i+1].IsPunct("."):
				return true
			}
		case tsql.SysVariable:
			if strings.EqualFold(t.Text, "@@ROWCOUNT") {
				return true
			}
		}
	}
	return false
}

// assignedVars returns the local variables a DECLARE, SET or SELECT statement assigns.
func assignedVars(toks []tsql.Token) []string {
	if len(toks) < 3 {
		return nil
	}
	switch toks[0].Upper {
	case "DECLARE", "SET", "SELECT":
	default:
		return nil
	}
	var out []string
	depth := 0
	for i := 1; i+1 < len(toks); i++ {
		t := toks[i]
		switch {
		case t.IsPunct("("):
			depth++
		case t.IsPunct(")"):
			depth--
		case depth == 0 && t.Is("FROM"):
			return out
		case depth == 0 && t.Kind == tsql.Variable && toks[i+1].Kind == tsql.Punct && (toks[i+1].Text == "=" || toks[i+1].Text == "+="):
			out = append(out, strings.ToLower(t.Text))
		case depth == 0 && toks[0].Upper == "DECLARE" && t.Kind == tsql.Variable:
			// DECLARE @v int = (…): the type comes between the name and '='
			for j := i + 1; j < len(toks) && !toks[j].IsPunct(","); j++ {
				if toks[j].IsPunct("=") {
					out = append(out, strings.ToLower(t.Text))
					break
				}
			}
		}
	}
	return out
}

// mentions reports whether the condition names any of the given names (case-folded last parts).
func (c *cond) mentions(names []string) bool {
	for _, n := range names {
		if n != "" && c.names[strings.ToLower(n)] {
			return true
		}
	}
	return false
}

// splitName splits a name written in a string literal ("[dbo].[Audit]", "dbo.Orders.Cust").
func splitName(s string) []string {
	if len(s) > 300 {
		return nil
	}
	parts := strings.Split(s, ".")
	out := parts[:0]
	for _, p := range parts {
		p = strings.TrimSpace(p)
		p = strings.TrimPrefix(p, "[")
		p = strings.TrimSuffix(p, "]")
		p = strings.Trim(p, `"`)
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// name is a dotted object name read from tokens.
type name struct {
	parts []string // values with brackets and quotes removed; "" for an omitted part (db..t)
	tok   tsql.Token
}

func (n name) last() string {
	if len(n.parts) == 0 {
		return ""
	}
	return n.parts[len(n.parts)-1]
}

// String renders the name as written, without brackets: dbo.Audit.
func (n name) String() string { return strings.Join(n.parts, ".") }

func (n name) temp() bool {
	l := n.last()
	return strings.HasPrefix(l, "#") || strings.HasPrefix(l, "@") || len(n.parts) >= 2 && strings.EqualFold(n.parts[0], "tempdb")
}

func isNameTok(t tsql.Token) bool {
	switch t.Kind {
	case tsql.Ident, tsql.BracketIdent, tsql.QuotedIdent, tsql.ScriptVar, tsql.Variable:
		return true
	}
	return false
}

// readName reads a dotted name at toks[i]; ok is false when no name starts there.
func readName(toks []tsql.Token, i int) (n name, next int, ok bool) {
	if i >= len(toks) || !(isNameTok(toks[i]) || toks[i].IsPunct(".")) {
		return name{}, i, false
	}
	n.tok = toks[i]
	expectPart := true
	for i < len(toks) {
		t := toks[i]
		switch {
		case expectPart && isNameTok(t):
			n.parts = append(n.parts, t.Value())
			expectPart = false
		case t.IsPunct("."):
			if expectPart {
				n.parts = append(n.parts, "")
			}
			expectPart = true
		default:
			return n, i, len(n.parts) > 0
		}
		i++
	}
	return n, i, len(n.parts) > 0
}

// findKw returns the index of the first keyword kw at paren depth 0 in toks[from:], or -1.
func findKw(toks []tsql.Token, from int, kw string) int {
	depth := 0
	for i := from; i < len(toks); i++ {
		t := toks[i]
		if t.IsPunct("(") {
			depth++
		} else if t.IsPunct(")") {
			depth--
		} else if depth == 0 && t.Is(kw) {
			return i
		}
	}
	return -1
}

// matchParen returns the index of the ')' closing the '(' at i, or len(toks) when it is not closed.
func matchParen(toks []tsql.Token, i int) int {
	depth := 0
	for j := i; j < len(toks); j++ {
		if toks[j].IsPunct("(") {
			depth++
		} else if toks[j].IsPunct(")") {
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return len(toks)
}

// splitTop splits toks at commas of paren depth 0.
func splitTop(toks []tsql.Token) [][]tsql.Token {
	var out [][]tsql.Token
	depth, start := 0, 0
	for i, t := range toks {
		switch {
		case t.IsPunct("("):
			depth++
		case t.IsPunct(")"):
			depth--
		case depth == 0 && t.IsPunct(","):
			out = append(out, toks[start:i])
			start = i + 1
		}
	}
	return append(out, toks[start:])
}

// multiWord reports whether w continues a multi-word object kind (DATABASE SCOPED CREDENTIAL, …).
func multiWord(w string) bool {
	switch w {
	case "SCOPED", "CREDENTIAL", "DATA", "SOURCE", "FILE", "FORMAT", "TABLE", "CATALOG", "INDEX",
		"SCHEMA", "COLLECTION", "FUNCTION", "SCHEME", "ROLE", "KEY", "STOPLIST", "AUDIT", "SPECIFICATION",
		"ENCRYPTION":
		return true
	}
	return false
}

// kindText joins the keywords of toks, upper-cased.
func kindText(toks []tsql.Token) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.Upper
	}
	return strings.Join(parts, " ")
}

// mentionsName reports whether toks name the object outside string literals.
func mentionsName(toks []tsql.Token, last string) bool {
	for _, t := range toks {
		switch t.Kind {
		case tsql.Ident, tsql.BracketIdent, tsql.QuotedIdent:
			if strings.EqualFold(t.Value(), last) {
				return true
			}
		}
	}
	return false
}

// trimSemi returns the length of toks without a final ';'.
func trimSemi(toks []tsql.Token) int {
	if len(toks) > 0 && toks[len(toks)-1].IsPunct(";") {
		return len(toks) - 1
	}
	return len(toks)
}
