package lint

import (
	"strconv"
	"strings"

	"github.com/ejops/ejops/spec"
	"github.com/ejops/ejops/tsql"
)

var agentVars = map[string]bool{"job_name": true, "job_id": true, "job_version": true, "step_id": true,
	"step_name": true, "job_execution_id": true, "job_execution_create_time": true, "target_group_name": true}

func (u *unit) checkGo(t tsql.Token) {
	switch {
	case t.Bad:
		u.report("EJ101", t, "malformed GO line %q; GO must be alone on its line (project policy: one batch per step)", t.Text)
	case tsql.GoCount(t) > 1:
		u.report("EJ101", t, "GO %d repeats the batch %d times; a step must be one batch (project policy)", tsql.GoCount(t), tsql.GoCount(t))
	default:
		u.report("EJ101", t, "GO splits the step into batches; a step must be one batch (project policy): split the step or use EXEC (N'…')")
	}
}

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
			u.reportSev("EJ102", spec.Warning, at, "$(%s) is not a job agent variable; the agent substitutes only $(job_name), $(job_id), $(job_execution_id) and the like", r.Name)
		case t.Kind == tsql.String:
			u.reportSev("EJ102", spec.Info, at, "$(%s) inside a string is substituted textually; make sure the quoting is intended", r.Name)
		}
	}
}

// checkCond runs the checks that apply to an IF or WHILE condition.
func (u *unit) checkCond(n *node) {
	u.checkCrossDB(n.toks)
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
	u.report("EJ404", first.first, "%s when the probed object already exists: \"already done\" fails the job and the agent retries it; PRINT and RETURN instead", first.first.Upper)
}

func (u *unit) checkStmt(st *stmt) {
	if st.module != nil {
		u.checkModule(st)
		return
	}
	toks := st.toks
	u.checkCrossDB(toks)
	switch st.kw {
	case "USE":
		if len(toks) > 1 {
			u.report("EJ103", toks[0], "USE %s switches database; Azure SQL Database rejects it with Msg 40508 (the target group chooses the database)", toks[1].Value())
		}
	case "CREATE":
		u.checkCreate(st)
	case "ALTER":
		if len(toks) > 1 && toks[1].Is("TABLE") {
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
		if n, _, ok := readName(toks, 2); ok && toks[1].Is("TABLE") && !n.temp() {
			u.emptied["table:"+strings.ToLower(n.last())] = true
			u.report("EJ303", toks[0], "TRUNCATE TABLE %s removes every row on every target database; add a bounded DELETE … WHERE if that is not intended", n)
		}
	case "EXEC", "EXECUTE":
		u.checkExec(st)
	case "THROW":
		u.checkThrow(st)
	case "SHUTDOWN", "RECONFIGURE", "BACKUP", "RESTORE":
		u.report("EJ501", toks[0], "%s is not supported in an Azure SQL Database user database", st.kw)
	case "DBCC":
		if len(toks) > 1 && (toks[1].Is("TRACEON") || toks[1].Is("TRACEOFF")) {
			u.report("EJ501", toks[0], "DBCC %s (trace flags) is not supported in Azure SQL Database", toks[1].Upper)
		}
	case "KILL":
		if len(toks) > 2 && toks[1].Is("STATS") && toks[2].Is("JOB") {
			u.report("EJ501", toks[0], "KILL STATS JOB is not supported in Azure SQL Database")
		}
	case "SET":
		if len(toks) > 1 && toks[1].Is("REMOTE_PROC_TRANSACTIONS") {
			u.report("EJ501", toks[0], "SET REMOTE_PROC_TRANSACTIONS is not supported in Azure SQL Database")
		}
	case "GRANT", "DENY", "REVOKE":
		for i, t := range toks {
			if t.Is("SERVER") || t.Is("ANY") && i+1 < len(toks) && toks[i+1].Is("LOGIN") {
				u.report("EJ501", toks[0], "%s of a server-level permission is not supported in an Azure SQL Database user database", st.kw)
				break
			}
		}
	}
}

// objectPositions are keywords after which a name is an object reference (EJ104).
var objectPositions = map[string]bool{"FROM": true, "JOIN": true, "INTO": true, "UPDATE": true, "MERGE": true,
	"DELETE": true, "TABLE": true, "EXEC": true, "EXECUTE": true, "REFERENCES": true, "APPLY": true}

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
				u.report("EJ104", t, "%s reaches another server; Azure SQL Database does not support it", t.Upper)
			}
			continue
		case "OPENROWSET":
			if i+2 < len(toks) && toks[i+1].IsPunct("(") && toks[i+2].Kind == tsql.String {
				u.report("EJ104", t, "OPENROWSET with a provider reaches another server; Azure SQL Database does not support it")
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
			u.report("EJ104", n.tok, "four-part name %s refers to a linked server; Azure SQL Database does not support it (Msg 40515)", n)
		case db == "tempdb":
		case db == "msdb" && (t.Upper == "EXEC" || t.Upper == "EXECUTE"):
			u.report("EJ501", n.tok, "%s is SQL Agent (msdb), which Azure SQL Database does not have", n)
		default:
			u.report("EJ104", n.tok, "%s refers to database %s; Azure SQL Database rejects cross-database names (Msg 40515), and a multi-target job matches at most one database", n, n.parts[len(n.parts)-3])
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

func (u *unit) checkModule(st *stmt) {
	toks := st.toks
	i := 1
	orAlter := false
	if toks[0].Is("CREATE") && len(toks) > 3 && toks[1].Is("OR") && toks[2].Is("ALTER") {
		orAlter = true
		i = 3
	}
	if i >= len(toks) {
		return
	}
	kind := toks[i].Upper
	if kind == "PROC" {
		kind = "PROCEDURE"
	}
	n, _, _ := readName(toks, i+1)
	u.checkObjectDef(st, kind, n, orAlter)
	for j := i; j+1 < len(toks); j++ {
		if toks[j].Is("ALL") && toks[j+1].Is("SERVER") {
			u.report("EJ501", toks[0], "server-scoped trigger %s is not supported in Azure SQL Database", n)
			break
		}
	}
	if len(st.module.trailing) > 0 {
		t := st.module.trailing[0]
		u.report("EJ105", t, "%s after the body of %s %s becomes part of the %s; end the step with the module or use EXEC (N'…')", t.Upper, kind, n, strings.ToLower(kind))
	}
}

// checkObjectDef applies EJ202 to CREATE/ALTER of a procedure, function, trigger or view.
func (u *unit) checkObjectDef(st *stmt, kind string, n name, orAlter bool) {
	kw := st.toks[0]
	switch {
	case orAlter:
	case kw.Is("CREATE"):
		switch guardOf(st, absent, n.last()) {
		case guarded:
			u.reportSev("EJ202", spec.Info, kw, "guarded CREATE %s %s never updates an existing definition; use CREATE OR ALTER", kind, n)
		case wrongSense:
			u.report("EJ202", kw, "CREATE %s %s runs only when %s already exists, so it fails with Msg 2714 whenever it runs; use CREATE OR ALTER %s", kind, n, n.last(), kind)
		default:
			u.report("EJ202", kw, "CREATE %s %s fails on the second run with Msg 2714; use CREATE OR ALTER %s", kind, n, kind)
		}
	default:
		switch guardOf(st, present, n.last()) {
		case wrongSense:
			u.report("EJ202", kw, "ALTER %s %s runs only when %s does not exist, so it fails whenever it runs; use CREATE OR ALTER %s", kind, n, n.last(), kind)
		case guarded:
		default:
			u.report("EJ202", kw, "ALTER %s %s fails on a database where it does not exist yet; use CREATE OR ALTER %s", kind, n, kind)
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
					u.report("EJ105", n.first, "%s %s must be the first statement in its batch (Msg 111); make it its own step or use EXEC (N'…')", n.first.Upper, kind)
				}
				if isDef && kind == "VIEW" && top && i == 0 && len(ns) > 1 {
					u.report("EJ105", ns[1].first, "%s follows CREATE VIEW in the same batch; a view must be alone in its batch", ns[1].first.Upper)
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

// checkedCreates maps CREATE <kind> to the rule object kinds of EJ207.
var checkedCreates = map[string]bool{"SCHEMA": true, "TYPE": true, "SEQUENCE": true, "SYNONYM": true,
	"USER": true, "ROLE": true, "STATISTICS": true, "DATABASE": true, "EXTERNAL": true, "FULLTEXT": true,
	"XML": true, "PARTITION": true, "APPLICATION": true, "CERTIFICATE": true, "SYMMETRIC": true,
	"ASYMMETRIC": true, "MASTER": true, "DEFAULT": true, "RULE": true}

func (u *unit) checkCreate(st *stmt) {
	toks := st.toks
	if len(toks) < 3 {
		return
	}
	i := 1
	orAlter := false
	if toks[1].Is("OR") && len(toks) > 3 && toks[2].Is("ALTER") {
		orAlter, i = true, 3
	}
	kind := toks[i].Upper
	switch kind {
	case "VIEW":
		n, _, _ := readName(toks, i+1)
		u.checkObjectDef(st, kind, n, orAlter)
		return
	case "TABLE":
		n, next, ok := readName(toks, i+1)
		if !ok || n.temp() {
			return
		}
		u.createTable(st, n)
		if next < len(toks) && toks[next].IsPunct("(") {
			u.checkUnnamed(toks[next+1:matchParen(toks, next)], n)
		}
		return
	case "LOGIN":
		u.report("EJ501", toks[0], "CREATE LOGIN is server-level (master only); job targets are user databases")
		return
	}
	// CREATE [UNIQUE] [CLUSTERED|NONCLUSTERED] [COLUMNSTORE|XML|SPATIAL|PRIMARY XML] INDEX
	for j := i; j < len(toks) && j < i+5; j++ {
		if toks[j].Is("INDEX") {
			u.createIndex(st, j)
			return
		}
		switch toks[j].Upper {
		case "UNIQUE", "CLUSTERED", "NONCLUSTERED", "COLUMNSTORE", "XML", "SPATIAL", "PRIMARY":
			continue
		}
		break
	}
	if !checkedCreates[kind] {
		return
	}
	if kind == "DATABASE" {
		if i+1 < len(toks) && (toks[i+1].Is("SCOPED") || toks[i+1].Is("AUDIT") || toks[i+1].Is("ENCRYPTION")) {
			i++
		} else {
			u.report("EJ501", toks[0], "CREATE DATABASE is server-level; job targets are user databases")
			return
		}
	}
	// skip the words of a multi-word kind (DATABASE SCOPED CREDENTIAL, XML SCHEMA COLLECTION, …)
	j := i
	for j+1 < len(toks) && toks[j+1].Kind == tsql.Ident && multiWord(toks[j+1].Upper) {
		j++
	}
	what := kindText(toks[i : j+1])
	n, _, ok := readName(toks, j+1)
	var names []string
	if ok && !toks[j+1].Is("ON") {
		names = append(names, n.last())
	} else if k := findKw(toks, j+1, "ON"); k >= 0 {
		// FULLTEXT INDEX ON t, MASTER KEY: no name of its own
		if tn, _, ok := readName(toks, k+1); ok {
			names = append(names, tn.last())
			n = tn
		}
	}
	key := strings.ToLower(kind + ":" + n.last())
	if u.dropped[key] {
		return
	}
	g := guardOf(st, absent, names...)
	if len(names) == 0 && hasSysProbe(st) {
		g = guarded
	}
	switch g {
	case unguarded:
		u.report("EJ207", toks[0], "CREATE %s %s is not guarded; a retry fails because it already exists (wrap it in an existence probe such as %s)", what, n, probeHint(kind, n))
	case otherProbe:
		u.reportSev("EJ207", spec.Warning, toks[0], "CREATE %s %s is guarded by a probe that does not mention %s", what, n, n.last())
	case wrongSense:
		u.report("EJ207", toks[0], "CREATE %s %s runs only when %s already exists (the guard tests the wrong sense): it is never created, and fails when it runs", what, n, n.last())
	}
}

// pkProbe reports whether a guard reads OBJECTPROPERTY(…, 'TableHasPrimaryKey') of table.
func pkProbe(st *stmt, table string) bool {
	for g := st.guards; g != nil; g = g.parent {
		if g.c.names["tablehasprimarykey"] && g.c.mentions([]string{table}) {
			return true
		}
	}
	return false
}

func hasSysProbe(st *stmt) bool {
	for g := st.guards; g != nil; g = g.parent {
		if g.c.sysProbe || g.c.exists {
			return true
		}
	}
	return false
}

func multiWord(w string) bool {
	switch w {
	case "SCOPED", "CREDENTIAL", "DATA", "SOURCE", "FILE", "FORMAT", "TABLE", "CATALOG", "INDEX",
		"SCHEMA", "COLLECTION", "FUNCTION", "SCHEME", "ROLE", "KEY", "STOPLIST", "AUDIT", "SPECIFICATION",
		"ENCRYPTION":
		return true
	}
	return false
}

func kindText(toks []tsql.Token) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.Upper
	}
	return strings.Join(parts, " ")
}

func probeHint(kind string, n name) string {
	switch kind {
	case "SCHEMA":
		return "IF SCHEMA_ID(N'" + n.String() + "') IS NULL EXEC (N'CREATE SCHEMA …')"
	case "TYPE":
		return "IF TYPE_ID(N'" + n.String() + "') IS NULL"
	case "USER", "ROLE", "APPLICATION":
		return "IF DATABASE_PRINCIPAL_ID(N'" + n.String() + "') IS NULL"
	case "STATISTICS":
		return "IF NOT EXISTS (SELECT 1 FROM sys.stats WHERE name = N'" + n.last() + "')"
	case "SEQUENCE", "SYNONYM":
		return "IF OBJECT_ID(N'" + n.String() + "') IS NULL"
	}
	return "IF NOT EXISTS (SELECT 1 FROM sys.… WHERE name = N'" + n.last() + "')"
}

func (u *unit) createTable(st *stmt, n name) {
	key := "table:" + strings.ToLower(n.last())
	u.created[strings.ToLower(n.last())] = true
	if u.dropped[key] {
		u.report("EJ210", st.toks[0], "%s is dropped and created again: every run and every retry throws its data away; create it under a guard instead", n)
		return
	}
	switch guardOf(st, absent, n.last()) {
	case wrongSense:
		u.report("EJ201", st.toks[0], "CREATE TABLE %s runs only when %s already exists (the guard tests the wrong sense): the table is never created, and a run fails with Msg 2714", n, n.last())
	case unguarded:
		u.report("EJ201", st.toks[0], "CREATE TABLE %s is not guarded; a retry fails with Msg 2714 (wrap it in IF OBJECT_ID(N'%s', N'U') IS NULL)", n, n)
	case otherProbe:
		u.reportSev("EJ201", spec.Warning, st.toks[0], "CREATE TABLE %s is guarded by a probe that does not mention %s", n, n.last())
	}
}

func (u *unit) checkSelectInto(st *stmt) {
	toks := st.toks
	into := findKw(toks, 1, "INTO")
	if into < 0 {
		return
	}
	if from := findKw(toks, 1, "FROM"); from >= 0 && from < into {
		return
	}
	n, _, ok := readName(toks, into+1)
	if !ok || n.temp() || toks[into+1].Kind == tsql.Variable {
		return
	}
	key := "table:" + strings.ToLower(n.last())
	u.created[strings.ToLower(n.last())] = true
	if u.dropped[key] {
		u.report("EJ210", toks[into], "%s is dropped and created again by SELECT … INTO: every run throws its data away", n)
		return
	}
	switch guardOf(st, absent, n.last()) {
	case wrongSense:
		u.report("EJ201", toks[into], "SELECT … INTO %s runs only when %s already exists (the guard tests the wrong sense): it fails with Msg 2714 whenever it runs", n, n.last())
	case unguarded:
		u.report("EJ201", toks[into], "SELECT … INTO %s creates a table and fails on a retry with Msg 2714 (guard it with IF OBJECT_ID(N'%s', N'U') IS NULL)", n, n)
	case otherProbe:
		u.reportSev("EJ201", spec.Warning, toks[into], "SELECT … INTO %s is guarded by a probe that does not mention %s", n, n.last())
	}
}

func (u *unit) createIndex(st *stmt, at int) {
	toks := st.toks
	ix, next, ok := readName(toks, at+1)
	if !ok {
		return
	}
	var table name
	if next < len(toks) && toks[next].Is("ON") {
		table, _, _ = readName(toks, next+1)
	}
	if table.temp() {
		return
	}
	if u.dropped["index:"+strings.ToLower(ix.last())] {
		return
	}
	dropExisting := false
	if w := findKw(toks, at, "WITH"); w >= 0 {
		for k := w; k+2 < len(toks); k++ {
			if toks[k].Is("DROP_EXISTING") && toks[k+1].IsPunct("=") && toks[k+2].Is("ON") {
				dropExisting = true
			}
		}
	}
	g := guardOf(st, absent, ix.last())
	if g != guarded && g != wrongSense && tableAbsent(st, table.last()) {
		g = guarded
	}
	switch g {
	case wrongSense:
		u.report("EJ205", toks[0], "CREATE INDEX %s runs only when %s already exists (the guard tests the wrong sense): it fails with Msg 1913 whenever it runs", ix, ix.last())
	case unguarded:
		if dropExisting {
			u.report("EJ205", toks[0], "CREATE INDEX %s ON %s relies on DROP_EXISTING = ON, which fails with Msg 7999 on the first run; guard it with a sys.indexes probe", ix, table)
		} else {
			u.report("EJ205", toks[0], "CREATE INDEX %s ON %s is not guarded; a retry fails with Msg 1913 (wrap it in IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'%s' AND object_id = OBJECT_ID(N'%s')))", ix, table, ix.last(), table)
		}
	case otherProbe:
		u.reportSev("EJ205", spec.Warning, toks[0], "CREATE INDEX %s is guarded by a probe that does not mention %s", ix, ix.last())
	}
}

// constraintWords start a table constraint in an ADD list or column definition.
var constraintWords = map[string]bool{"PRIMARY": true, "UNIQUE": true, "FOREIGN": true, "CHECK": true,
	"DEFAULT": true, "REFERENCES": true}

// checkUnnamed reports constraints declared without CONSTRAINT <name> (EJ209).
func (u *unit) checkUnnamed(toks []tsql.Token, table name) {
	if table.temp() {
		return
	}
	depth := 0
	for i, t := range toks {
		if t.IsPunct("(") {
			depth++
			continue
		}
		if t.IsPunct(")") {
			depth--
			continue
		}
		if depth != 0 || t.Kind != tsql.Ident || !constraintWords[t.Upper] {
			continue
		}
		if t.Is("REFERENCES") && i > 0 && toks[i-1].IsPunct(")") {
			continue // FOREIGN KEY (…) REFERENCES: reported at FOREIGN
		}
		if t.Is("CHECK") && i > 0 && (toks[i-1].Is("WITH") || toks[i-1].Is("NOT")) {
			continue
		}
		if t.Is("UNIQUE") && i > 0 && toks[i-1].Is("PRIMARY") {
			continue
		}
		named := false
		for k := i - 1; k >= 0 && k >= i-3; k-- {
			if toks[k].Is("CONSTRAINT") {
				named = true
				break
			}
			if toks[k].IsPunct(",") {
				break
			}
		}
		if named {
			continue
		}
		what := constraintText(t.Upper)
		u.report("EJ209", t, "%s constraint on %s has no name; every database gets a different generated name, so no guard can find it (declare CONSTRAINT <name>)", what, table)
	}
}

func (u *unit) checkAlterTable(st *stmt) {
	toks := st.toks
	table, i, ok := readName(toks, 2)
	if !ok || table.temp() {
		return
	}
	for i < len(toks) && (toks[i].Is("WITH") || toks[i].Is("CHECK") || toks[i].Is("NOCHECK")) {
		i++
	}
	if i >= len(toks) {
		return
	}
	end := len(toks)
	if toks[end-1].IsPunct(";") {
		end--
	}
	switch {
	case toks[i].Is("ADD"):
		for _, item := range splitTop(toks[i+1 : end]) {
			u.alterAdd(st, table, item)
		}
	case toks[i].Is("DROP"):
		u.alterDrop(st, table, toks[i+1:end])
	}
}

func (u *unit) alterAdd(st *stmt, table name, item []tsql.Token) {
	if len(item) == 0 {
		return
	}
	first := item[0]
	switch {
	case first.Is("CONSTRAINT"):
		if len(item) < 2 {
			return
		}
		cn := item[1].Value()
		g := guardOf(st, absent, cn)
		if g != guarded && g != wrongSense && (tableAbsent(st, table.last()) || hasToken(item, "PRIMARY") && pkProbe(st, table.last())) {
			g = guarded
		}
		switch g {
		case wrongSense:
			u.report("EJ204", first, "ADD CONSTRAINT %s runs only when %s already exists (the guard tests the wrong sense): it fails with Msg 2714 whenever it runs", cn, cn)
		case unguarded:
			u.report("EJ204", first, "ADD CONSTRAINT %s on %s is not guarded; a retry fails with Msg 2714 (wrap it in IF OBJECT_ID(N'%s') IS NULL)", cn, table, qualify(table, cn))
		case otherProbe:
			u.reportSev("EJ204", spec.Warning, first, "ADD CONSTRAINT %s is guarded by a probe that does not mention %s", cn, cn)
		}
	case first.Kind == tsql.Ident && constraintWords[first.Upper]:
		u.checkUnnamed(item, table)
		if guardOf(st, unknown, table.last()) == unguarded {
			u.report("EJ204", first, "unnamed %s constraint added to %s without a guard; a retry fails (Msg 1779/1781) or adds a duplicate", constraintText(first.Upper), table)
		}
	case first.Is("INDEX") || first.Is("PERIOD"):
	case isNameTok(first):
		col := first.Value()
		u.added = append(u.added, addedColumn{table: strings.ToLower(table.last()), column: strings.ToLower(col), display: table.String(), after: len(u.stmts) - 1})
		g := guardOf(st, absent, col)
		if g != guarded && g != wrongSense && tableAbsent(st, table.last()) {
			g = guarded
		}
		switch g {
		case wrongSense:
			u.report("EJ203", first, "ADD column %s to %s runs only when %s already exists (the guard tests the wrong sense): it fails with Msg 2705 whenever it runs", col, table, col)
		case unguarded:
			u.report("EJ203", first, "ADD column %s to %s is not guarded; a retry fails with Msg 2705 (wrap it in IF COL_LENGTH(N'%s', N'%s') IS NULL)", col, table, table, col)
		case otherProbe:
			u.reportSev("EJ203", spec.Warning, first, "ADD column %s is guarded by a probe that does not mention %s", col, col)
		}
		u.checkUnnamed(item[1:], table)
	}
}

func qualify(table name, obj string) string {
	if len(table.parts) >= 2 {
		return table.parts[len(table.parts)-2] + "." + obj
	}
	return obj
}

func (u *unit) alterDrop(st *stmt, table name, rest []tsql.Token) {
	what := "CONSTRAINT"
	for _, item := range splitTop(rest) {
		if len(item) == 0 {
			continue
		}
		i := 0
		if item[0].Is("CONSTRAINT") || item[0].Is("COLUMN") {
			what = item[0].Upper
			i++
		}
		if i+1 < len(item) && item[i].Is("IF") && item[i+1].Is("EXISTS") {
			continue
		}
		if i >= len(item) || !isNameTok(item[i]) || item[i].Is("PERIOD") || item[i].Is("SYSTEM_VERSIONING") {
			continue
		}
		obj := item[i].Value()
		if g := guardOf(st, present, obj); g == wrongSense {
			u.report("EJ206", item[0], "DROP %s %s on %s runs only when %s does not exist (the guard tests the wrong sense): it fails with Msg 3701/4924 whenever it runs", what, obj, table, obj)
		} else if g != guarded {
			u.report("EJ206", item[0], "DROP %s %s on %s has no IF EXISTS; a retry fails with Msg 3701/4924 (use DROP %s IF EXISTS %s)", what, obj, table, what, obj)
		}
	}
}

// ifExistsTypes are the DROP forms that accept IF EXISTS.
var ifExistsTypes = map[string]bool{"TABLE": true, "VIEW": true, "PROC": true, "PROCEDURE": true,
	"FUNCTION": true, "TRIGGER": true, "INDEX": true, "SCHEMA": true, "SEQUENCE": true, "SYNONYM": true,
	"TYPE": true, "USER": true, "ROLE": true, "DEFAULT": true, "RULE": true, "ASSEMBLY": true,
	"AGGREGATE": true, "SECURITY": true, "EXTERNAL": true, "XML": true}

func (u *unit) checkDrop(st *stmt) {
	toks := st.toks
	if len(toks) < 3 {
		return
	}
	kind := toks[1].Upper
	switch kind {
	case "LOGIN":
		u.report("EJ501", toks[0], "DROP LOGIN is server-level (master only); job targets are user databases")
		return
	case "DATABASE":
		if !toks[2].Is("SCOPED") && !toks[2].Is("AUDIT") && !toks[2].Is("ENCRYPTION") {
			u.report("EJ501", toks[0], "DROP DATABASE is server-level; job targets are user databases")
			return
		}
	}
	if !objectTypes[kind] {
		return
	}
	i := 2
	for i < len(toks) && toks[i].Kind == tsql.Ident && multiWord(toks[i].Upper) {
		i++
	}
	ifExists := i+1 < len(toks) && toks[i].Is("IF") && toks[i+1].Is("EXISTS")
	if ifExists {
		i += 2
	}
	end := len(toks)
	if toks[end-1].IsPunct(";") {
		end--
	}
	for _, item := range splitTop(toks[i:end]) {
		n, next, ok := readName(item, 0)
		if !ok || n.temp() {
			continue
		}
		if next < len(item) && item[next].Is("ON") {
			if tn, _, ok := readName(item, next+1); ok && tn.temp() {
				continue
			}
		}
		u.dropped[strings.ToLower(kind+":"+n.last())] = true
		if kind == "PROC" {
			u.dropped["procedure:"+strings.ToLower(n.last())] = true
		}
		if ifExists {
			continue
		}
		switch guardOf(st, present, n.last()) {
		case guarded:
			continue
		case wrongSense:
			u.report("EJ206", toks[0], "DROP %s %s runs only when %s does not exist (the guard tests the wrong sense): it fails with Msg 3701 whenever it runs", kind, n, n.last())
			continue
		}
		hint := "use DROP " + kind + " IF EXISTS"
		if !ifExistsTypes[kind] {
			hint = "guard it with an existence probe"
		}
		u.report("EJ206", toks[0], "DROP %s %s fails on a retry with Msg 3701 once it is gone (%s)", kind, n, hint)
	}
}

func (u *unit) checkLoginDB(st *stmt) {
	toks := st.toks
	if len(toks) > 1 && toks[1].Is("LOGIN") {
		u.report("EJ501", toks[0], "ALTER LOGIN is server-level (master only); job targets are user databases")
	}
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

func (u *unit) checkInsert(st *stmt) {
	toks := st.toks
	i := 1
	if i < len(toks) && toks[i].Is("TOP") {
		if i+1 < len(toks) && toks[i+1].IsPunct("(") {
			i = matchParen(toks, i+1) + 1
		}
	}
	if i < len(toks) && toks[i].Is("INTO") {
		i++
	}
	n, next, ok := readName(toks, i)
	if !ok || n.temp() || toks[i].Kind == tsql.Variable {
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
		u.report("EJ301", toks[0], "INSERT into %s is keyed by $(job_execution_id), but a retry of the same execution inserts again; add WHERE NOT EXISTS on the key", n)
		return
	}
	u.report("EJ301", toks[0], "INSERT into %s is not protected against rows already present; a retry duplicates them or fails with Msg 2627 (insert with WHERE NOT EXISTS, or use MERGE)", n)
}

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

func (u *unit) checkUpdate(st *stmt) {
	toks := st.toks
	i := 1
	if i < len(toks) && toks[i].Is("TOP") && i+1 < len(toks) && toks[i+1].IsPunct("(") {
		i = matchParen(toks, i+1) + 1
	}
	n, _, ok := readName(toks, i)
	if !ok || n.temp() || toks[i].Kind == tsql.Variable {
		return
	}
	set := findKw(toks, i, "SET")
	if set < 0 {
		return
	}
	where := findKw(toks, set, "WHERE")
	hasFrom := findKw(toks, set, "FROM") >= 0
	if where < 0 && !hasFrom {
		u.report("EJ303", toks[0], "UPDATE %s has no WHERE clause and changes every row on every target database", n)
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
	var assigned []string
	type rel struct {
		col string
		at  tsql.Token
	}
	var rels []rel
	for _, a := range splitTop(toks[set+1 : end]) {
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
		if a[op].Text != "=" {
			rels = append(rels, rel{col, lhs})
			continue
		}
		rhs := a[op+1:]
		if len(rhs) > 0 && rhs[0].Kind == tsql.Variable && len(rhs) > 1 && rhs[1].IsPunct("=") {
			continue
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
		if arith && self {
			rels = append(rels, rel{col, lhs})
		}
	}
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
		u.report("EJ302", r.at, "UPDATE %s sets %s relative to itself; every retry applies the change again (compute it from source data or mark processed rows)", n, r.col)
	}
}

func (u *unit) checkDelete(st *stmt) {
	toks := st.toks
	i := 1
	top := false
	if i < len(toks) && toks[i].Is("TOP") {
		top = true
		if i+1 < len(toks) && toks[i+1].IsPunct("(") {
			i = matchParen(toks, i+1) + 1
		}
	}
	if i < len(toks) && toks[i].Is("FROM") {
		i++
	}
	n, next, ok := readName(toks, i)
	if !ok || n.temp() || toks[i].Kind == tsql.Variable {
		return
	}
	u.emptied["table:"+strings.ToLower(n.last())] = true
	if top || findKw(toks, next, "WHERE") >= 0 || findKw(toks, next, "FROM") >= 0 || findKw(toks, next, "JOIN") >= 0 {
		return
	}
	u.report("EJ303", toks[0], "DELETE from %s has no WHERE clause and removes every row on every target database", n)
}

// unsupportedProcs are system procedures Azure SQL Database user databases do not have.
var unsupportedProcs = map[string]bool{"sp_configure": true, "sp_addmessage": true, "sp_addlinkedserver": true,
	"sp_addlinkedsrvlogin": true, "sp_dropserver": true, "sp_addserver": true, "sp_add_job": true,
	"sp_add_jobstep": true, "sp_start_job": true, "sp_addumpdevice": true, "sp_attach_db": true,
	"sp_detach_db": true}

func (u *unit) checkExec(st *stmt) {
	toks := st.toks
	if len(toks) < 2 {
		return
	}
	if toks[1].Is("AS") {
		if len(toks) > 2 && toks[2].Is("LOGIN") {
			u.report("EJ501", toks[0], "EXECUTE AS LOGIN is not supported in Azure SQL Database (use EXECUTE AS USER)")
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
		u.report("EJ501", n.tok, "%s is not available in an Azure SQL Database user database", n)
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
		var lits []string
		for _, t := range toks[next:] {
			if t.Kind == tsql.String {
				lits = append(lits, t.Value())
			}
		}
		if len(lits) < 2 {
			return
		}
		old := splitName(lits[0])
		if len(old) == 0 {
			return
		}
		oldLast := old[len(old)-1]
		newParts := splitName(lits[1])
		newLast := ""
		if len(newParts) > 0 {
			newLast = newParts[len(newParts)-1]
		}
		if guardOf(st, unknown, oldLast, newLast) != guarded {
			u.report("EJ208", toks[0], "sp_rename of %s to %s is not guarded; a retry fails with Msg 15248 (guard it with a probe that %s still exists)", lits[0], lits[1], oldLast)
		}
	}
}

func trimSemi(toks []tsql.Token) int {
	if len(toks) > 0 && toks[len(toks)-1].IsPunct(";") {
		return len(toks) - 1
	}
	return len(toks)
}

// dynamic lints a single string literal as its own batch, or reports opaque dynamic SQL (EJ502).
func (u *unit) lintDynamic(st *stmt, arg []tsql.Token) {
	if len(arg) == 1 && arg[0].Kind == tsql.String {
		if u.depth >= maxDynamicDepth {
			return
		}
		lit := arg[0]
		content, raw := unescape(lit)
		parent := u.mapOff
		base := lit.Offset
		u.l.lintText(content, func(o int) int {
			if o > len(content) {
				o = len(content)
			}
			p := base + raw[o]
			if parent != nil {
				return parent(p)
			}
			return p
		}, true, st.guards, u.depth+1)
		return
	}
	if len(arg) == 0 {
		return
	}
	u.report("EJ502", st.toks[0], "dynamic SQL built from %s is opaque to the linter; its idempotence is unchecked", describe(arg))
}

func describe(arg []tsql.Token) string {
	if len(arg) == 1 && arg[0].Kind == tsql.Variable {
		return arg[0].Text
	}
	return "an expression"
}

// unescape returns a string literal's content and, for each content byte (and the end), its byte
// offset in the literal's text.
func unescape(t tsql.Token) (string, []int) {
	s := t.Text
	start := 1
	if t.Unicode {
		start = 2
	}
	end := len(s)
	if !t.Bad && end > start {
		end--
	}
	var b strings.Builder
	raw := make([]int, 0, end-start+1)
	for i := start; i < end; i++ {
		raw = append(raw, i)
		b.WriteByte(s[i])
		if s[i] == '\'' && i+1 < end && s[i+1] == '\'' {
			i++
		}
	}
	raw = append(raw, end)
	return b.String(), raw
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
		u.report("EJ403", st.toks[0], "RAISERROR severity %d needs WITH LOG and sysadmin, which a job user does not have; use severity 16 or THROW", sev)
	case sev <= 10:
		if st.inIf && !nowait {
			u.report("EJ403", st.toks[0], "RAISERROR severity %d is informational and does not fail the step; use severity 16 or THROW if failure is intended, or PRINT", sev)
		}
	default:
		if !st.inTry && st.next != nil && !st.next.toks[0].Is("RETURN") && !st.next.toks[0].Is("THROW") {
			u.report("EJ403", st.toks[0], "RAISERROR severity %d outside TRY does not stop the batch; %s still runs (add RETURN, or use THROW)", sev, st.next.kw)
		}
	}
}

func (u *unit) checkThrow(st *stmt) {
	if !st.hasPrev {
		return
	}
	p := st.prevTok
	switch {
	case p.IsPunct(";"), p.Is("END"):
	case p.Is("TRAN") || p.Is("TRANSACTION"):
		u.reportSev("EJ403", spec.Error, st.toks[0], "THROW after %s without ';' is read as a transaction name; end the previous statement with ';'", p.Upper)
	default:
		u.report("EJ403", st.toks[0], "the statement before THROW must end with ';'; without it the batch does not compile")
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
					u.report("EJ402", t[0], "transaction without SET XACT_ABORT ON or a CATCH that rolls back; a failing statement can leave a half-applied state that commits")
				}
			}
		case st.kw == "COMMIT":
			if begin == nil && !implicit {
				u.report("EJ401", t[0], "COMMIT without BEGIN TRANSACTION in the step fails with Msg 3902")
			}
			committed = true
		}
	}
	if begin != nil && !committed {
		u.report("EJ401", begin.toks[0], "%s without COMMIT: the transaction is rolled back when the connection closes and the work silently disappears", kindText(begin.toks[:2]))
	}
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
					u.report("EJ106", t, "column %s is added to %s earlier in this batch; the batch fails to compile with Msg 207 before anything runs (use it in EXEC (N'…') or the next step)", t.Value(), a.display)
					break
				}
			}
		}
	}
}

func constraintText(w string) string {
	if w == "PRIMARY" || w == "FOREIGN" {
		return w + " KEY"
	}
	return w
}
