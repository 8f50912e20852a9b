package lint

import (
	"strings"

	"github.com/ejops/ejops/tsql"
)

// checkTruncate applies EJ303 to TRUNCATE TABLE and remembers the table as emptied.
func (u *unit) checkTruncate(st *stmt) {
	toks := st.toks
	if n, _, ok := readName(toks, 2); ok && toks[1].Is("TABLE") && !n.temp() {
		u.emptied["table:"+strings.ToLower(n.last())] = true
		u.report(codeUnboundedDML, toks[0], "TRUNCATE TABLE %s removes every row on every target database; add a bounded DELETE … WHERE if that is not intended", n)
	}
}

// dmlTarget reads the table that an INSERT, UPDATE or DELETE in toks writes: after the statement's
// keyword, an optional TOP (n) and the optional word kw (INTO, FROM). It returns the name, where it
// starts and ends, and false when there is none or it is a temporary table or a table variable.
func dmlTarget(toks []tsql.Token, kw string) (n name, at, next int, ok bool) {
	at = 1
	if at+1 < len(toks) && toks[at].Is("TOP") && toks[at+1].IsPunct("(") {
		at = matchParen(toks, at+1) + 1
	}
	if kw != "" && at < len(toks) && toks[at].Is(kw) {
		at++
	}
	n, next, ok = readName(toks, at)
	return n, at, next, ok && !n.temp() && toks[at].Kind != tsql.Variable
}

// checkInsert applies EJ301: an INSERT that a retry would repeat.
func (u *unit) checkInsert(st *stmt) {
	toks := st.toks
	n, _, next, ok := dmlTarget(toks, "INTO")
	if !ok {
		return
	}
	last := n.last()
	if mentionsName(toks[next:], last) || u.emptied["table:"+strings.ToLower(last)] || u.created[strings.ToLower(last)] {
		return
	}
	for g := st.guards; g != nil; g = g.parent {
		c := g.c
		if c.rowcount || c.varGuard || (c.exists || c.sysProbe) && c.mentions([]string{last}) {
			return
		}
	}
	if hasScriptVar(toks, "job_execution_id") {
		u.report(codeInsert, toks[0], "INSERT into %s is keyed by $(job_execution_id), but a retry of the same execution inserts again; add WHERE NOT EXISTS on the key", n)
		return
	}
	u.report(codeInsert, toks[0], "INSERT into %s is not protected against rows already present; a retry duplicates them or fails with Msg 2627 (insert with WHERE NOT EXISTS, or use MERGE)", n)
}

// hasScriptVar reports whether toks use the agent variable $(v).
func hasScriptVar(toks []tsql.Token, v string) bool {
	for _, t := range toks {
		for _, r := range tsql.ScriptVars(t) {
			if strings.EqualFold(r.Name, v) {
				return true
			}
		}
	}
	return false
}

// checkUpdate applies EJ303 (no WHERE) and EJ302 (a column set relative to itself).
func (u *unit) checkUpdate(st *stmt) {
	toks := st.toks
	n, at, _, ok := dmlTarget(toks, "")
	if !ok {
		return
	}
	set := findKw(toks, at, "SET")
	if set < 0 {
		return
	}
	where := findKw(toks, set, "WHERE")
	hasFrom := findKw(toks, set, "FROM") >= 0
	if where < 0 && !hasFrom {
		u.report(codeUnboundedDML, toks[0], "UPDATE %s has no WHERE clause and changes every row on every target database", n)
	}
	end := len(toks)
	for _, kw := range []string{"FROM", "WHERE", "OUTPUT", "OPTION"} {
		if k := findKw(toks, set+1, kw); k >= 0 && k < end {
			end = k
		}
	}
	if end == len(toks) && toks[end-1].IsPunct(";") {
		end--
	}
	if set+1 > end {
		return
	}
	assigned, rels := setAssignments(toks[set+1 : end])
	if len(rels) == 0 {
		return
	}
	// a WHERE that tests a column the same UPDATE sets marks processed rows: rerun-safe
	if where >= 0 {
		for _, c := range assigned {
			if mentionsName(toks[where:], c) {
				return
			}
		}
	}
	for _, r := range rels {
		u.report(codeRelativeUpdate, r.at, "UPDATE %s sets %s relative to itself; every retry applies the change again (compute it from source data or mark processed rows)", n, r.col)
	}
}

// relAssign is a column an UPDATE sets relative to itself, at its token.
type relAssign struct {
	col string
	at  tsql.Token
}

// setAssignments reads the SET list of an UPDATE: the columns it assigns, and those among them it
// sets relative to themselves (c += 1, c = c + 1).
func setAssignments(list []tsql.Token) (assigned []string, rels []relAssign) {
	for _, a := range splitTop(list) {
		op := -1
		for k, t := range a {
			if t.Kind == tsql.Punct && (t.Text == "=" || len(t.Text) == 2 && t.Text[1] == '=' && strings.ContainsRune("+-*/%&|^", rune(t.Text[0]))) {
				op = k
				break
			}
		}
		if op <= 0 {
			continue
		}
		lhs := a[op-1]
		if lhs.Kind == tsql.Variable || !isNameTok(lhs) {
			continue
		}
		col := lhs.Value()
		assigned = append(assigned, col)
		if a[op].Text != "=" || selfArithmetic(a[op+1:], col) {
			rels = append(rels, relAssign{col, lhs})
		}
	}
	return assigned, rels
}

// selfArithmetic reports whether the right-hand side rhs of an assignment to col is arithmetic at
// paren depth 0 that reads col itself; a compound @v = col = … assignment is not.
func selfArithmetic(rhs []tsql.Token, col string) bool {
	if len(rhs) > 0 && rhs[0].Kind == tsql.Variable && len(rhs) > 1 && rhs[1].IsPunct("=") {
		return false
	}
	arith, self, depth := false, false, 0
	for _, t := range rhs {
		switch {
		case t.IsPunct("("):
			depth++
		case t.IsPunct(")"):
			depth--
		case depth == 0 && t.Kind == tsql.Punct && len(t.Text) == 1 && strings.Contains("+-*/%", t.Text):
			arith = true
		}
		if isNameTok(t) && t.Kind != tsql.Variable && strings.EqualFold(t.Value(), col) {
			self = true
		}
	}
	return arith && self
}

// checkDelete applies EJ303 to a DELETE without WHERE and remembers the table as emptied.
func (u *unit) checkDelete(st *stmt) {
	toks := st.toks
	top := len(toks) > 1 && toks[1].Is("TOP")
	n, _, next, ok := dmlTarget(toks, "FROM")
	if !ok {
		return
	}
	u.emptied["table:"+strings.ToLower(n.last())] = true
	if top || findKw(toks, next, "WHERE") >= 0 || findKw(toks, next, "FROM") >= 0 || findKw(toks, next, "JOIN") >= 0 {
		return
	}
	u.report(codeUnboundedDML, toks[0], "DELETE from %s has no WHERE clause and removes every row on every target database", n)
}
