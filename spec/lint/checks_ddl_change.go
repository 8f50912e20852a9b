package lint

import (
	"strings"

	"github.com/ejops/ejops/spec"
	"github.com/ejops/ejops/tsql"
)

// pkProbe reports whether a guard reads OBJECTPROPERTY(…, 'TableHasPrimaryKey') of table.
func pkProbe(st *stmt, table string) bool {
	for g := st.guards; g != nil; g = g.parent {
		if g.c.names["tablehasprimarykey"] && g.c.mentions([]string{table}) {
			return true
		}
	}
	return false
}

// checkAlterTable applies the guard rules to each item of ALTER TABLE … ADD and ALTER TABLE … DROP.
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

// alterAdd applies EJ203, EJ204 and EJ209 to one item of ALTER TABLE … ADD.
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
			u.report(codeAddConstraint, first, "ADD CONSTRAINT %s runs only when %s already exists (the guard tests the wrong sense): it fails with Msg 2714 whenever it runs", cn, cn)
		case unguarded:
			u.report(codeAddConstraint, first, "ADD CONSTRAINT %s on %s is not guarded; a retry fails with Msg 2714 (wrap it in IF OBJECT_ID(N'%s') IS NULL)", cn, table, qualify(table, cn))
		case otherProbe:
			u.reportSev(codeAddConstraint, spec.Warning, first, "ADD CONSTRAINT %s is guarded by a probe that does not mention %s", cn, cn)
		}
	case first.Kind == tsql.Ident && constraintWords[first.Upper]:
		u.checkUnnamed(item, table)
		if guardOf(st, unknown, table.last()) == unguarded {
			u.report(codeAddConstraint, first, "unnamed %s constraint added to %s without a guard; a retry fails (Msg 1779/1781) or adds a duplicate", constraintText(first.Upper), table)
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
			u.report(codeAddColumn, first, "ADD column %s to %s runs only when %s already exists (the guard tests the wrong sense): it fails with Msg 2705 whenever it runs", col, table, col)
		case unguarded:
			u.report(codeAddColumn, first, "ADD column %s to %s is not guarded; a retry fails with Msg 2705 (wrap it in IF COL_LENGTH(N'%s', N'%s') IS NULL)", col, table, table, col)
		case otherProbe:
			u.reportSev(codeAddColumn, spec.Warning, first, "ADD column %s is guarded by a probe that does not mention %s", col, col)
		}
		u.checkUnnamed(item[1:], table)
	}
}

// qualify prefixes obj with the schema of table, when table names one.
func qualify(table name, obj string) string {
	if len(table.parts) >= 2 {
		return table.parts[len(table.parts)-2] + "." + obj
	}
	return obj
}

// alterDrop applies EJ206 to the items of ALTER TABLE … DROP.
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
			u.report(codeDropWithoutIfExists, item[0], "DROP %s %s on %s runs only when %s does not exist (the guard tests the wrong sense): it fails with Msg 3701/4924 whenever it runs", what, obj, table, obj)
		} else if g != guarded {
			u.report(codeDropWithoutIfExists, item[0], "DROP %s %s on %s has no IF EXISTS; a retry fails with Msg 3701/4924 (use DROP %s IF EXISTS %s)", what, obj, table, what, obj)
		}
	}
}

// ifExistsTypes are the DROP forms that accept IF EXISTS.
var ifExistsTypes = map[string]bool{"TABLE": true, "VIEW": true, "PROC": true, "PROCEDURE": true,
	"FUNCTION": true, "TRIGGER": true, "INDEX": true, "SCHEMA": true, "SEQUENCE": true, "SYNONYM": true,
	"TYPE": true, "USER": true, "ROLE": true, "DEFAULT": true, "RULE": true, "ASSEMBLY": true,
	"AGGREGATE": true, "SECURITY": true, "EXTERNAL": true, "XML": true}

// checkDrop applies EJ206 to DROP statements (and EJ501 to DROP LOGIN and DROP DATABASE), and
// remembers what the batch drops.
func (u *unit) checkDrop(st *stmt) {
	toks := st.toks
	if len(toks) < 3 {
		return
	}
	kind := toks[1].Upper
	switch kind {
	case "LOGIN":
		u.report(codeAzureUnsupported, toks[0], "DROP LOGIN is server-level (master only); job targets are user databases")
		return
	case "DATABASE":
		if !toks[2].Is("SCOPED") && !toks[2].Is("AUDIT") && !toks[2].Is("ENCRYPTION") {
			u.report(codeAzureUnsupported, toks[0], "DROP DATABASE is server-level; job targets are user databases")
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
			u.report(codeDropWithoutIfExists, toks[0], "DROP %s %s runs only when %s does not exist (the guard tests the wrong sense): it fails with Msg 3701 whenever it runs", kind, n, n.last())
			continue
		}
		hint := "use DROP " + kind + " IF EXISTS"
		if !ifExistsTypes[kind] {
			hint = "guard it with an existence probe"
		}
		u.report(codeDropWithoutIfExists, toks[0], "DROP %s %s fails on a retry with Msg 3701 once it is gone (%s)", kind, n, hint)
	}
}

// checkRename applies EJ208 to sp_rename, whose arguments start at args.
func (u *unit) checkRename(st *stmt, args []tsql.Token) {
	var lits []string
	for _, t := range args {
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
		u.report(codeRename, st.toks[0], "sp_rename of %s to %s is not guarded; a retry fails with Msg 15248 (guard it with a probe that %s still exists)", lits[0], lits[1], oldLast)
	}
}
