package lint

import (
	"strings"

	"github.com/ejops/ejops/tsql"
)

// checkUse applies EJ103: USE switches database.
func (u *unit) checkUse(st *stmt) {
	if toks := st.toks; len(toks) > 1 {
		u.report(codeUseDatabase, toks[0], "USE %s switches database; Azure SQL Database rejects it with Msg 40508 (the target group chooses the database)", toks[1].Value())
	}
}

// checkServerStatement applies EJ501 to statements that act on the server: shutdown, backup,
// trace flags, server permissions and the like.
func (u *unit) checkServerStatement(st *stmt) {
	toks := st.toks
	switch st.kw {
	case "SHUTDOWN", "RECONFIGURE", "BACKUP", "RESTORE":
		u.report(codeAzureUnsupported, toks[0], "%s is not supported in an Azure SQL Database user database", st.kw)
	case "DBCC":
		if len(toks) > 1 && (toks[1].Is("TRACEON") || toks[1].Is("TRACEOFF")) {
			u.report(codeAzureUnsupported, toks[0], "DBCC %s (trace flags) is not supported in Azure SQL Database", toks[1].Upper)
		}
	case "KILL":
		if len(toks) > 2 && toks[1].Is("STATS") && toks[2].Is("JOB") {
			u.report(codeAzureUnsupported, toks[0], "KILL STATS JOB is not supported in Azure SQL Database")
		}
	case "SET":
		if len(toks) > 1 && toks[1].Is("REMOTE_PROC_TRANSACTIONS") {
			u.report(codeAzureUnsupported, toks[0], "SET REMOTE_PROC_TRANSACTIONS is not supported in Azure SQL Database")
		}
	case "GRANT", "DENY", "REVOKE":
		for i, t := range toks {
			if t.Is("SERVER") || t.Is("ANY") && i+1 < len(toks) && toks[i+1].Is("LOGIN") {
				u.report(codeAzureUnsupported, toks[0], "%s of a server-level permission is not supported in an Azure SQL Database user database", st.kw)
				break
			}
		}
	}
}

// objectPositions are keywords after which a name is an object reference (EJ104).
var objectPositions = map[string]bool{"FROM": true, "JOIN": true, "INTO": true, "UPDATE": true, "MERGE": true,
	"DELETE": true, "TABLE": true, "EXEC": true, "EXECUTE": true, "REFERENCES": true, "APPLY": true}

// checkCrossDB applies EJ104 (and EJ501 for SQL Agent in msdb) to the object names of a statement
// or condition: names of other databases and servers, OPENQUERY, OPENDATASOURCE and OPENROWSET.
func (u *unit) checkCrossDB(toks []tsql.Token) {
	var aliases map[string]bool
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.Kind != tsql.Ident {
			continue
		}
		switch t.Upper {
		case "OPENQUERY", "OPENDATASOURCE":
			if i+1 < len(toks) && toks[i+1].IsPunct("(") {
				u.report(codeCrossDatabase, t, "%s reaches another server; Azure SQL Database does not support it", t.Upper)
			}
			continue
		case "OPENROWSET":
			if i+2 < len(toks) && toks[i+1].IsPunct("(") && toks[i+2].Kind == tsql.String {
				u.report(codeCrossDatabase, t, "OPENROWSET with a provider reaches another server; Azure SQL Database does not support it")
			}
			continue
		}
		if !objectPositions[t.Upper] {
			continue
		}
		j := i + 1
		if t.Upper == "DELETE" && j < len(toks) && toks[j].Is("FROM") {
			continue
		}
		if (t.Upper == "EXEC" || t.Upper == "EXECUTE") && j+1 < len(toks) && toks[j].Kind == tsql.Variable && toks[j+1].IsPunct("=") {
			j += 2
		}
		n, next, ok := readName(toks, j)
		if !ok || len(n.parts) < 3 {
			continue
		}
		i = next - 1
		// alias.column.method(…): an XML method such as e.Payload.nodes('/x') after APPLY
		if next < len(toks) && toks[next].IsPunct("(") && xmlMethods[strings.ToLower(n.last())] {
			continue
		}
		if aliases == nil {
			aliases = declaredAliases(toks)
		}
		if len(n.parts) == 3 && aliases[strings.ToLower(n.parts[0])] {
			continue
		}
		db := strings.ToLower(n.parts[len(n.parts)-3])
		switch {
		case len(n.parts) >= 4:
			u.report(codeCrossDatabase, n.tok, "four-part name %s refers to a linked server; Azure SQL Database does not support it (Msg 40515)", n)
		case db == "tempdb":
		case db == "msdb" && (t.Upper == "EXEC" || t.Upper == "EXECUTE"):
			u.report(codeAzureUnsupported, n.tok, "%s is SQL Agent (msdb), which Azure SQL Database does not have", n)
		default:
			u.report(codeCrossDatabase, n.tok, "%s refers to database %s; Azure SQL Database rejects cross-database names (Msg 40515), and a multi-target job matches at most one database", n, n.parts[len(n.parts)-3])
		}
	}
}

// xmlMethods are the methods of the xml type, called as column.method(…).
var xmlMethods = map[string]bool{"nodes": true, "value": true, "query": true, "exist": true, "modify": true}

// notAlias are keywords that can follow a table name where an alias could stand.
var notAlias = map[string]bool{"WHERE": true, "JOIN": true, "INNER": true, "LEFT": true, "RIGHT": true,
	"FULL": true, "CROSS": true, "OUTER": true, "ON": true, "WITH": true, "GROUP": true, "ORDER": true,
	"HAVING": true, "UNION": true, "EXCEPT": true, "INTERSECT": true, "OPTION": true, "SET": true,
	"OUTPUT": true, "VALUES": true, "SELECT": true, "AS": true, "FOR": true, "PIVOT": true,
	"UNPIVOT": true, "TABLESAMPLE": true, "USING": true, "WHEN": true, "DEFAULT": true}

// declaredAliases collects the table and column-set aliases a statement declares: the name after
// AS, and a bare identifier after a table name in FROM, JOIN or APPLY.
func declaredAliases(toks []tsql.Token) map[string]bool {
	out := map[string]bool{}
	for i, t := range toks {
		if t.Kind != tsql.Ident {
			continue
		}
		switch t.Upper {
		case "AS":
			if i+1 < len(toks) && isNameTok(toks[i+1]) {
				out[strings.ToLower(toks[i+1].Value())] = true
			}
		case "FROM", "JOIN", "APPLY", "UPDATE", "INTO":
			_, next, ok := readName(toks, i+1)
			if ok && next < len(toks) && (toks[next].Kind == tsql.BracketIdent || toks[next].Kind == tsql.Ident && !notAlias[toks[next].Upper] && !leading[toks[next].Upper]) {
				out[strings.ToLower(toks[next].Value())] = true
			}
		}
	}
	return out
}

// checkLoginDB applies EJ501 to ALTER LOGIN.
func (u *unit) checkLoginDB(st *stmt) {
	toks := st.toks
	if len(toks) > 1 && toks[1].Is("LOGIN") {
		u.report(codeAzureUnsupported, toks[0], "ALTER LOGIN is server-level (master only); job targets are user databases")
	}
}

// unsupportedProcs are system procedures Azure SQL Database user databases do not have.
var unsupportedProcs = map[string]bool{"sp_configure": true, "sp_addmessage": true, "sp_addlinkedserver": true,
	"sp_addlinkedsrvlogin": true, "sp_dropserver": true, "sp_addserver": true, "sp_add_job": true,
	"sp_add_jobstep": true, "sp_start_job": true, "sp_addumpdevice": true, "sp_attach_db": true,
	"sp_detach_db": true}
