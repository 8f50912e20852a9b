package lint

import (
	"strings"

	"github.com/ejops/ejops/tsql"
)

// checkCond runs the checks that apply to an IF or WHILE condition.
func (u *unit) checkCond(n *node) {
	u.checkCrossDB(n.toks)
	u.checkGuardRaises(n)
}

// checkStmt runs the checks of a simple statement, by its first keyword.
func (u *unit) checkStmt(st *stmt) {
	if st.module != nil {
		u.checkModule(st)
		return
	}
	u.checkCrossDB(st.toks)
	switch st.kw {
	case "USE":
		u.checkUse(st)
	case "CREATE":
		u.checkCreate(st)
	case "ALTER":
		if len(st.toks) > 1 && st.toks[1].Is("TABLE") {
			u.checkAlterTable(st)
		}
		u.checkLoginDB(st)
	case "DROP":
		u.checkDrop(st)
	case "SELECT":
		u.checkSelectInto(st)
	case "INSERT":
		u.checkInsert(st)
	case "UPDATE":
		u.checkUpdate(st)
	case "DELETE":
		u.checkDelete(st)
	case "TRUNCATE":
		u.checkTruncate(st)
	case "EXEC", "EXECUTE":
		u.checkExec(st)
	case "THROW":
		u.checkThrow(st)
	default:
		u.checkServerStatement(st)
	}
}

// checkExec runs the checks of EXEC: EXECUTE AS, dynamic SQL and the system procedures some rules know.
func (u *unit) checkExec(st *stmt) {
	toks := st.toks
	if len(toks) < 2 {
		return
	}
	if toks[1].Is("AS") {
		if len(toks) > 2 && toks[2].Is("LOGIN") {
			u.report(codeAzureUnsupported, toks[0], "EXECUTE AS LOGIN is not supported in Azure SQL Database (use EXECUTE AS USER)")
		}
		return
	}
	if toks[1].IsPunct("(") {
		u.lintDynamic(st, toks[2:matchParen(toks, 1)])
		return
	}
	i := 1
	if toks[i].Kind == tsql.Variable && i+1 < len(toks) && toks[i+1].IsPunct("=") {
		i += 2
	}
	n, next, ok := readName(toks, i)
	if !ok {
		return
	}
	proc := strings.ToLower(n.last())
	switch {
	case unsupportedProcs[proc] || strings.HasPrefix(proc, "xp_"):
		u.report(codeAzureUnsupported, n.tok, "%s is not available in an Azure SQL Database user database", n)
	case proc == "sp_executesql":
		args := splitTop(toks[next:trimSemi(toks)])
		if len(args) > 0 {
			a := args[0]
			if len(a) >= 2 && a[0].Kind == tsql.Variable && a[1].IsPunct("=") {
				a = a[2:]
			}
			u.lintDynamic(st, a)
		}
	case proc == "sp_rename":
		u.checkRename(st, toks[next:])
	}
}
