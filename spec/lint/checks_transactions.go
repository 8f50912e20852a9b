package lint

import (
	"strconv"

	"github.com/ejops/ejops/spec"
	"github.com/ejops/ejops/tsql"
)

// checkGuardRaises applies EJ404: an IF that probes for an object and raises an error when it exists.
func (u *unit) checkGuardRaises(n *node) {
	c := n.cond
	if n.kind != nIf || !c.sysProbe || !c.positive || c.negative || len(n.body) == 0 {
		return
	}
	first := n.body[0]
	for first.kind == nBlock && len(first.body) > 0 {
		first = first.body[0]
	}
	if first.kind != nSimple {
		return
	}
	switch {
	case first.first.Is("THROW"):
	case first.first.Is("RAISERROR"):
		if sev, ok := raiserrorSeverity(first.toks); !ok || sev < 11 {
			return
		}
	default:
		return
	}
	u.report(codeGuardRaisesError, first.first, "%s when the probed object already exists: \"already done\" fails the job and the agent retries it; PRINT and RETURN instead", first.first.Upper)
}

// raiserrorSeverity returns the literal severity argument of a RAISERROR statement.
func raiserrorSeverity(toks []tsql.Token) (int, bool) {
	if len(toks) < 2 || !toks[1].IsPunct("(") {
		return 0, false
	}
	args := splitTop(toks[2:matchParen(toks, 1)])
	if len(args) < 2 || len(args[1]) != 1 || args[1][0].Kind != tsql.Number {
		return 0, false
	}
	n, err := strconv.Atoi(args[1][0].Text)
	return n, err == nil
}

// checkRaiserror applies EJ403 to RAISERROR severities that do not do what they seem.
func (u *unit) checkRaiserror(st *stmt) {
	sev, ok := raiserrorSeverity(st.toks)
	if !ok {
		return
	}
	nowait := false
	if w := findKw(st.toks, 1, "WITH"); w >= 0 {
		nowait = true
	}
	switch {
	case sev >= 19:
		u.report(codeErrorSignalling, st.toks[0], "RAISERROR severity %d needs WITH LOG and sysadmin, which a job user does not have; use severity 16 or THROW", sev)
	case sev <= 10:
		if st.inIf && !nowait {
			u.report(codeErrorSignalling, st.toks[0], "RAISERROR severity %d is informational and does not fail the step; use severity 16 or THROW if failure is intended, or PRINT", sev)
		}
	default:
		if !st.inTry && st.next != nil && !st.next.toks[0].Is("RETURN") && !st.next.toks[0].Is("THROW") {
			u.report(codeErrorSignalling, st.toks[0], "RAISERROR severity %d outside TRY does not stop the batch; %s still runs (add RETURN, or use THROW)", sev, st.next.kw)
		}
	}
}

// checkThrow applies EJ403 to THROW after a statement not ended with ';'.
func (u *unit) checkThrow(st *stmt) {
	if !st.hasPrev {
		return
	}
	p := st.prevTok
	switch {
	case p.IsPunct(";"), p.Is("END"):
	case p.Is("TRAN") || p.Is("TRANSACTION"):
		u.reportSev(codeErrorSignalling, spec.Error, st.toks[0], "THROW after %s without ';' is read as a transaction name; end the previous statement with ';'", p.Upper)
	default:
		u.report(codeErrorSignalling, st.toks[0], "the statement before THROW must end with ';'; without it the batch does not compile")
	}
}

// checkTransactions applies EJ401 and EJ402 to the batch.
func (u *unit) checkTransactions() {
	if u.dynamic {
		return
	}
	var begin *stmt
	xactAbort, implicit, committed := false, false, false
	for _, st := range u.stmts {
		t := st.toks
		switch {
		case st.module != nil:
		case st.kw == "SET" && len(t) >= 3 && t[1].Is("XACT_ABORT") && t[2].Is("ON"):
			xactAbort = true
		case st.kw == "SET" && len(t) >= 3 && t[1].Is("IMPLICIT_TRANSACTIONS") && t[2].Is("ON"):
			implicit = true
			if begin == nil {
				begin = st
			}
		case st.kw == "BEGIN" && len(t) >= 2 && (t[1].Is("TRAN") || t[1].Is("TRANSACTION") || t[1].Is("DISTRIBUTED")):
			if begin == nil {
				begin = st
				if !xactAbort && !(st.inTry && st.tryOK) {
					u.report(codeXactAbort, t[0], "transaction without SET XACT_ABORT ON or a CATCH that rolls back; a failing statement can leave a half-applied state that commits")
				}
			}
		case st.kw == "COMMIT":
			if begin == nil && !implicit {
				u.report(codeOpenTransaction, t[0], "COMMIT without BEGIN TRANSACTION in the step fails with Msg 3902")
			}
			committed = true
		}
	}
	if begin != nil && !committed {
		u.report(codeOpenTransaction, begin.toks[0], "%s without COMMIT: the transaction is rolled back when the connection closes and the work silently disappears", kindText(begin.toks[:2]))
	}
}
