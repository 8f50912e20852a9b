package lint

import (
	"strings"

	"github.com/ejops/ejops/spec"
	"github.com/ejops/ejops/tsql"
)

var agentVars = map[string]bool{"job_name": true, "job_id": true, "job_version": true, "step_id": true,
	"step_name": true, "job_execution_id": true, "job_execution_create_time": true, "target_group_name": true}

// checkGo applies EJ101 to a GO line.
func (u *unit) checkGo(t tsql.Token) {
	switch {
	case t.Bad:
		u.report(codeBatchSeparator, t, "malformed GO line %q; GO must be alone on its line (project policy: one batch per step)", t.Text)
	case tsql.GoCount(t) > 1:
		u.report(codeBatchSeparator, t, "GO %d repeats the batch %d times; a step must be one batch (project policy)", tsql.GoCount(t), tsql.GoCount(t))
	default:
		u.report(codeBatchSeparator, t, "GO splits the step into batches; a step must be one batch (project policy): split the step or use EXEC (N'…')")
	}
}

// checkScriptVars applies EJ102 to the $(name) variables in t: unknown ones, and agent variables
// inside string literals.
func (u *unit) checkScriptVars(t tsql.Token) {
	switch t.Kind {
	case tsql.ScriptVar, tsql.String, tsql.QuotedIdent, tsql.BracketIdent:
	default:
		return
	}
	for _, r := range tsql.ScriptVars(t) {
		at := t
		at.Offset += r.Offset
		switch {
		case !agentVars[strings.ToLower(r.Name)]:
			u.reportSev(codeSqlcmdSyntax, spec.Warning, at, "$(%s) is not a job agent variable; the agent substitutes only $(job_name), $(job_id), $(job_execution_id) and the like", r.Name)
		case t.Kind == tsql.String:
			u.reportSev(codeSqlcmdSyntax, spec.Info, at, "$(%s) inside a string is substituted textually; make sure the quoting is intended", r.Name)
		}
	}
}

// batchStarters must be the first statement of their batch.
var batchStarters = map[string]bool{"PROC": true, "PROCEDURE": true, "FUNCTION": true, "TRIGGER": true,
	"VIEW": true, "SCHEMA": true, "DEFAULT": true, "RULE": true}

// checkBatchFirst applies EJ105: batch-starting definitions that are not first, and statements
// that follow a view.
func (u *unit) checkBatchFirst(nodes []*node) {
	var visit func(ns []*node, top bool)
	visit = func(ns []*node, top bool) {
		for i, n := range ns {
			if n.kind == nSimple || n.kind == nModule {
				kind, isDef := defKind(n.toks)
				if isDef && (!top || i > 0) {
					u.report(codeBatchFirst, n.first, "%s %s must be the first statement in its batch (Msg 111); make it its own step or use EXEC (N'…')", n.first.Upper, kind)
				}
				if isDef && kind == "VIEW" && top && i == 0 && len(ns) > 1 {
					u.report(codeBatchFirst, ns[1].first, "%s follows CREATE VIEW in the same batch; a view must be alone in its batch", ns[1].first.Upper)
				}
			}
			visit(n.body, false)
			visit(n.els, false)
		}
	}
	visit(nodes, true)
}

// defKind reports whether toks start CREATE [OR ALTER] or ALTER of a batch-starting object.
func defKind(toks []tsql.Token) (string, bool) {
	if len(toks) < 2 {
		return "", false
	}
	i := 1
	if toks[0].Is("CREATE") && len(toks) > 3 && toks[1].Is("OR") && toks[2].Is("ALTER") {
		i = 3
	}
	k := toks[i].Upper
	switch {
	case toks[0].Is("CREATE") && batchStarters[k]:
		if k == "DEFAULT" && i+1 < len(toks) && toks[i+1].Kind != tsql.Ident && toks[i+1].Kind != tsql.BracketIdent {
			return "", false
		}
		return k, true
	case toks[0].Is("ALTER") && (moduleTypes[k] || k == "VIEW"):
		return k, true
	}
	return "", false
}

// checkAddedColumns applies EJ106: a column added in the batch and used later in it.
func (u *unit) checkAddedColumns() {
	for _, a := range u.added {
		if u.created[a.table] {
			continue
		}
		for _, st := range u.stmts[a.after+1:] {
			switch st.kw {
			case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "WITH":
			default:
				continue
			}
			if !mentionsName(st.toks, a.table) {
				continue
			}
			for _, t := range st.toks {
				if (t.Kind == tsql.Ident || t.Kind == tsql.BracketIdent || t.Kind == tsql.QuotedIdent) && strings.ToLower(t.Value()) == a.column {
					u.report(codeColumnAddedAndUsed, t, "column %s is added to %s earlier in this batch; the batch fails to compile with Msg 207 before anything runs (use it in EXEC (N'…') or the next step)", t.Value(), a.display)
					break
				}
			}
		}
	}
}
