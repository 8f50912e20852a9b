package lint

import (
	"strings"

	"github.com/ejops/ejops/spec"
	"github.com/ejops/ejops/tsql"
)

// checkModule checks the header of a module definition: EJ202, EJ501 for server-scoped
// triggers, and EJ105 for statements that follow the body.
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
			u.report(codeAzureUnsupported, toks[0], "server-scoped trigger %s is not supported in Azure SQL Database", n)
			break
		}
	}
	if len(st.module.trailing) > 0 {
		t := st.module.trailing[0]
		u.report(codeBatchFirst, t, "%s after the body of %s %s becomes part of the %s; end the step with the module or use EXEC (N'…')", t.Upper, kind, n, strings.ToLower(kind))
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
			u.reportSev(codeCreateModule, spec.Info, kw, "guarded CREATE %s %s never updates an existing definition; use CREATE OR ALTER", kind, n)
		case wrongSense:
			u.report(codeCreateModule, kw, "CREATE %s %s runs only when %s already exists, so it fails with Msg 2714 whenever it runs; use CREATE OR ALTER %s", kind, n, n.last(), kind)
		default:
			u.report(codeCreateModule, kw, "CREATE %s %s fails on the second run with Msg 2714; use CREATE OR ALTER %s", kind, n, kind)
		}
	default:
		switch guardOf(st, present, n.last()) {
		case wrongSense:
			u.report(codeCreateModule, kw, "ALTER %s %s runs only when %s does not exist, so it fails whenever it runs; use CREATE OR ALTER %s", kind, n, n.last(), kind)
		case guarded:
		default:
			u.report(codeCreateModule, kw, "ALTER %s %s fails on a database where it does not exist yet; use CREATE OR ALTER %s", kind, n, kind)
		}
	}
}

// checkedCreates maps CREATE <kind> to the rule object kinds of EJ207.
var checkedCreates = map[string]bool{"SCHEMA": true, "TYPE": true, "SEQUENCE": true, "SYNONYM": true,
	"USER": true, "ROLE": true, "STATISTICS": true, "DATABASE": true, "EXTERNAL": true, "FULLTEXT": true,
	"XML": true, "PARTITION": true, "APPLICATION": true, "CERTIFICATE": true, "SYMMETRIC": true,
	"ASYMMETRIC": true, "MASTER": true, "DEFAULT": true, "RULE": true}

// checkCreate applies the guard rules to CREATE statements other than modules (EJ201, EJ202,
// EJ205, EJ207, EJ209), and EJ501 to CREATE LOGIN and CREATE DATABASE.
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
		u.report(codeAzureUnsupported, toks[0], "CREATE LOGIN is server-level (master only); job targets are user databases")
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
			u.report(codeAzureUnsupported, toks[0], "CREATE DATABASE is server-level; job targets are user databases")
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
		u.report(codeCreateObject, toks[0], "CREATE %s %s is not guarded; a retry fails because it already exists (wrap it in an existence probe such as %s)", what, n, probeHint(kind, n))
	case otherProbe:
		u.reportSev(codeCreateObject, spec.Warning, toks[0], "CREATE %s %s is guarded by a probe that does not mention %s", what, n, n.last())
	case wrongSense:
		u.report(codeCreateObject, toks[0], "CREATE %s %s runs only when %s already exists (the guard tests the wrong sense): it is never created, and fails when it runs", what, n, n.last())
	}
}

// hasSysProbe reports whether the statement runs under a catalog probe or an EXISTS test.
func hasSysProbe(st *stmt) bool {
	for g := st.guards; g != nil; g = g.parent {
		if g.c.sysProbe || g.c.exists {
			return true
		}
	}
	return false
}

// probeHint suggests the existence probe that guards CREATE kind n.
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

// createTable applies EJ201 and EJ210 to CREATE TABLE n.
func (u *unit) createTable(st *stmt, n name) {
	key := "table:" + strings.ToLower(n.last())
	u.created[strings.ToLower(n.last())] = true
	if u.dropped[key] {
		u.report(codeDropAndRecreate, st.toks[0], "%s is dropped and created again: every run and every retry throws its data away; create it under a guard instead", n)
		return
	}
	switch guardOf(st, absent, n.last()) {
	case wrongSense:
		u.report(codeCreateTable, st.toks[0], "CREATE TABLE %s runs only when %s already exists (the guard tests the wrong sense): the table is never created, and a run fails with Msg 2714", n, n.last())
	case unguarded:
		u.report(codeCreateTable, st.toks[0], "CREATE TABLE %s is not guarded; a retry fails with Msg 2714 (wrap it in IF OBJECT_ID(N'%s', N'U') IS NULL)", n, n)
	case otherProbe:
		u.reportSev(codeCreateTable, spec.Warning, st.toks[0], "CREATE TABLE %s is guarded by a probe that does not mention %s", n, n.last())
	}
}

// checkSelectInto applies EJ201 and EJ210 to SELECT … INTO a permanent table.
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
		u.report(codeDropAndRecreate, toks[into], "%s is dropped and created again by SELECT … INTO: every run throws its data away", n)
		return
	}
	switch guardOf(st, absent, n.last()) {
	case wrongSense:
		u.report(codeCreateTable, toks[into], "SELECT … INTO %s runs only when %s already exists (the guard tests the wrong sense): it fails with Msg 2714 whenever it runs", n, n.last())
	case unguarded:
		u.report(codeCreateTable, toks[into], "SELECT … INTO %s creates a table and fails on a retry with Msg 2714 (guard it with IF OBJECT_ID(N'%s', N'U') IS NULL)", n, n)
	case otherProbe:
		u.reportSev(codeCreateTable, spec.Warning, toks[into], "SELECT … INTO %s is guarded by a probe that does not mention %s", n, n.last())
	}
}

// createIndex applies EJ205 to CREATE INDEX, whose INDEX keyword is at toks[at].
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
		u.report(codeCreateIndex, toks[0], "CREATE INDEX %s runs only when %s already exists (the guard tests the wrong sense): it fails with Msg 1913 whenever it runs", ix, ix.last())
	case unguarded:
		if dropExisting {
			u.report(codeCreateIndex, toks[0], "CREATE INDEX %s ON %s relies on DROP_EXISTING = ON, which fails with Msg 7999 on the first run; guard it with a sys.indexes probe", ix, table)
		} else {
			u.report(codeCreateIndex, toks[0], "CREATE INDEX %s ON %s is not guarded; a retry fails with Msg 1913 (wrap it in IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'%s' AND object_id = OBJECT_ID(N'%s')))", ix, table, ix.last(), table)
		}
	case otherProbe:
		u.reportSev(codeCreateIndex, spec.Warning, toks[0], "CREATE INDEX %s is guarded by a probe that does not mention %s", ix, ix.last())
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
		u.report(codeUnnamedConstraint, t, "%s constraint on %s has no name; every database gets a different generated name, so no guard can find it (declare CONSTRAINT <name>)", what, table)
	}
}

// constraintText names the constraint that keyword w starts.
func constraintText(w string) string {
	if w == "PRIMARY" || w == "FOREIGN" {
		return w + " KEY"
	}
	return w
}
