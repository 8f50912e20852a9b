package lint

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ejops/ejops/spec"
	"github.com/ejops/ejops/tsql"
)

// Config holds repository-wide lint settings.
type Config struct {
	// Severity overrides a rule's severity by code or name: "off", "info", "warning" or "error".
	Severity map[string]string
}

// Lint checks every step of every job with the severity overrides of the Agent document, and
// reports unknown rule codes in those overrides and in the steps' ignore lists (EJ900).
func Lint(set *spec.Set) spec.Diagnostics {
	var cfg Config
	if set.Agent != nil {
		cfg.Severity = set.Agent.Lint
	}
	out := CheckAgent(set.Agent)
	// Jobs are linted in parallel, in contiguous parts so that each part is worth a goroutine.
	n := min(runtime.GOMAXPROCS(0), len(set.Jobs)/64+1)
	parts := make([]spec.Diagnostics, n)
	var wg sync.WaitGroup
	for i := range n {
		jobs := set.Jobs[i*len(set.Jobs)/n : (i+1)*len(set.Jobs)/n]
		wg.Go(func() { parts[i] = LintJobs(jobs, cfg) })
	}
	wg.Wait()
	for _, p := range parts {
		out = append(out, p...)
	}
	out.Sort()
	return out
}

// LintJobs checks every step of the jobs, and reports unknown rule codes in their steps'
// lint ignore lists (EJ900).
func LintJobs(jobs []*spec.Job, cfg Config) spec.Diagnostics {
	var out spec.Diagnostics
	for _, job := range jobs {
		for i, st := range job.Steps {
			for k, c := range st.LintIgnore {
				if _, ok := lookup(strings.TrimSpace(c)); !ok {
					out = append(out, spec.Diagnostic{
						Pos:      job.FieldPos(fmt.Sprintf("spec.steps[%d].lint.ignore[%d]", i, k)),
						Severity: byCode[codeBadSuppression].Severity,
						Code:     codeBadSuppression,
						Message:  fmt.Sprintf("step %q: lint ignore names unknown rule %q; nothing is ignored for it", st.Name, c),
					})
				}
			}
			out = append(out, LintStep(st, cfg)...)
		}
	}
	out.Sort()
	return out
}

// CheckAgent reports unknown rule codes among the Agent's lint severity overrides (EJ900).
func CheckAgent(a *spec.Agent) spec.Diagnostics {
	if a == nil {
		return nil
	}
	var out spec.Diagnostics
	for code := range a.Lint {
		if _, ok := lookup(code); !ok {
			out = append(out, spec.Diagnostic{
				Pos:      a.FieldPos("spec.lint." + code),
				Severity: byCode[codeBadSuppression].Severity,
				Code:     codeBadSuppression,
				Message:  fmt.Sprintf("agent %q: lint names unknown rule %q; its severity override does nothing", a.Name, code),
			})
		}
	}
	out.Sort()
	return out
}

// finding is a diagnostic before suppression, with its byte offset in the step command.
type finding struct {
	code string
	sev  spec.Severity
	off  int
	msg  string
}

// LintStep checks one step's T-SQL. Positions are mapped through step.CommandSource; messages name
// the step. Inline suppressions, step.LintIgnore and cfg are applied.
func LintStep(step *spec.Step, cfg Config) spec.Diagnostics {
	l := &linter{src: step.Command}
	l.lintText(step.Command, nil, false, nil, 0)
	fs := l.applySuppressions()

	ignored := map[string]bool{}
	for _, c := range step.LintIgnore {
		if r, ok := lookup(strings.TrimSpace(c)); ok {
			ignored[r.Code] = true
		}
	}
	over := map[string]string{}
	for k, v := range cfg.Severity {
		if r, ok := lookup(k); ok {
			over[r.Code] = strings.ToLower(v)
		}
	}
	lines := lineStarts(step.Command)
	var out spec.Diagnostics
	for _, f := range fs {
		if ignored[f.code] {
			continue
		}
		sev := f.sev
		switch over[f.code] {
		case "off":
			continue
		case "error":
			sev = spec.Error
		case "warning":
			sev = spec.Warning
		case "info":
			sev = spec.Info
		}
		line, col := position(step.Command, lines, f.off)
		out = append(out, spec.Diagnostic{
			Pos:      step.CommandSource.Map(line, col),
			Severity: sev,
			Code:     f.code,
			Message:  fmt.Sprintf("step %q: %s", step.Name, f.msg),
		})
	}
	out.Sort()
	return out
}

func lineStarts(s string) []int {
	starts := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// position converts a byte offset to a 1-based line and rune column.
func position(s string, starts []int, off int) (int, int) {
	if off > len(s) {
		off = len(s)
	}
	if off < 0 {
		off = 0
	}
	i := sort.Search(len(starts), func(i int) bool { return starts[i] > off }) - 1
	return i + 1, 1 + utf8.RuneCountInString(s[starts[i]:off])
}

type span struct{ start, end int }

type linter struct {
	src        string
	findings   []finding
	spans      []span // statement spans of the step text, outermost first
	simple     []span // simple statement spans
	directives []directive
}

// unit is one text being linted: the step itself or a dynamic SQL literal inside it.
type unit struct {
	l         *linter
	mapOff    func(int) int
	dynamic   bool
	inherited *guard
	depth     int
	// per batch
	dropped map[string]bool // "table:audit", "index:ix_a" dropped earlier in the batch
	emptied map[string]bool // tables deleted from or truncated earlier in the step
	created map[string]bool // tables created in the batch
	added   []addedColumn
	exits   *guard // guards in force at the top of the batch: inherited ones and early exits
	stmts   []*stmt
	queried map[string]bool // variables assigned from a query or probe earlier in the batch
}

type addedColumn struct {
	table, column string
	display       string // the table as written
	after         int    // index of the ALTER statement in stmts
}

func (u *unit) off(t tsql.Token) int {
	if u.mapOff == nil {
		return t.Offset
	}
	return u.mapOff(t.Offset)
}

func (u *unit) report(code string, t tsql.Token, format string, args ...any) {
	u.reportSev(code, byCode[code].Severity, t, format, args...)
}

func (u *unit) reportSev(code string, sev spec.Severity, t tsql.Token, format string, args ...any) {
	u.l.findings = append(u.l.findings, finding{code: code, sev: sev, off: u.off(t), msg: fmt.Sprintf(format, args...)})
}

const maxDynamicDepth = 4

// lintText lints one text: the step command or the content of a dynamic SQL literal.
func (l *linter) lintText(text string, mapOff func(int) int, dynamic bool, inherited *guard, depth int) {
	u := &unit{l: l, mapOff: mapOff, dynamic: dynamic, inherited: inherited, depth: depth, emptied: map[string]bool{}}
	sig := make([]tsql.Token, 0, len(text)/8+1)
	var batches [][]tsql.Token
	var prev tsql.Token // the last token that is not whitespace
	hasPrev := false
	var pending []int // own-line directives still waiting for the token they apply to
	tsql.Scan(text, tsql.LexOptions{}, func(t tsql.Token) {
		if t.Kind == tsql.Whitespace {
			return
		}
		defer func() { prev, hasPrev = t, true }()
		if len(pending) > 0 && !t.Trivia() {
			for _, i := range pending {
				l.attachLine(i, t)
			}
			pending = pending[:0]
		}
		switch t.Kind {
		case tsql.BatchSeparator:
			u.checkGo(t)
			batches = append(batches, sig)
			sig = sig[len(sig):]
			return
		case tsql.SqlcmdCommand:
			if !dynamic {
				u.report(codeSqlcmdSyntax, t, "sqlcmd command %s is not T-SQL; the job agent fails on it", firstWord(t.Text))
			}
			return
		case tsql.LineComment, tsql.BlockComment:
			if !dynamic {
				if l.parseDirective(t, prev, hasPrev) && !l.directives[len(l.directives)-1].trailing {
					pending = append(pending, len(l.directives)-1)
				}
			}
		}
		if t.Bad {
			u.report(codeParseError, t, "unterminated %s; the rest of the step is swallowed by it", badWhat(t))
		}
		if !dynamic {
			u.checkScriptVars(t)
		}
		if !t.Trivia() {
			sig = append(sig, t)
		}
	})
	batches = append(batches, sig)
	for _, b := range batches {
		if len(b) > 0 {
			u.lintBatch(b)
		}
	}
}

func badWhat(t tsql.Token) string {
	switch t.Kind {
	case tsql.String:
		return "string literal"
	case tsql.BlockComment:
		return "/* comment"
	case tsql.BracketIdent:
		return "[identifier"
	case tsql.QuotedIdent:
		return `"identifier`
	}
	return "token"
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}

func (u *unit) lintBatch(toks []tsql.Token) {
	nodes := parseBatch(toks)
	u.dropped = map[string]bool{}
	u.created = map[string]bool{}
	u.added = nil
	u.exits = u.inherited
	u.stmts = nil
	u.queried = nil
	if !u.dynamic {
		u.recordSpans(nodes)
	}
	u.walk(nodes, walkCtx{top: true, guards: u.inherited})
	for _, st := range u.stmts {
		if st.kw == "RAISERROR" {
			u.checkRaiserror(st)
		}
	}
	u.checkBatchFirst(nodes)
	u.checkTransactions()
	u.checkAddedColumns()
}

func (u *unit) span(n *node) span {
	return span{u.off(n.first), u.off(n.last) + len(n.last.Text)}
}

func (u *unit) recordSpans(nodes []*node) {
	for _, n := range nodes {
		s := u.span(n)
		u.l.spans = append(u.l.spans, s)
		if n.kind == nSimple || n.kind == nModule {
			u.l.simple = append(u.l.simple, s)
		}
		u.recordSpans(n.body)
		u.recordSpans(n.els)
	}
}

// stmt is a simple statement (or a module header) with the context rules need.
type stmt struct {
	toks    []tsql.Token
	kw      string
	guards  *guard
	top     bool       // directly in the batch, not in an IF, WHILE or block
	ifCond  *cond      // condition of the IF whose body starts with this statement
	inIf    bool       // somewhere inside an IF or WHILE body
	inTry   bool       // inside BEGIN TRY
	tryOK   bool       // the enclosing TRY's CATCH rolls back
	hasPrev bool       // a statement precedes it in the same statement list
	prevTok tsql.Token // the significant token before the statement
	next    *stmt      // the next statement in the same list
	module  *node      // module definition whose header this is
	index   int        // position in the batch
}

type walkCtx struct {
	guards *guard
	top    bool
	ifCond *cond
	inIf   bool
	inTry  bool
	tryOK  bool
}

func (u *unit) walk(nodes []*node, c walkCtx) {
	var prev *stmt
	var pending []*stmt // last statements of compound bodies, waiting for what follows them
	for i, n := range nodes {
		before := len(u.stmts)
		guards := c.guards
		if c.top {
			guards = u.exits
		}
		switch n.kind {
		case nSimple, nModule:
			toks := n.toks
			st := &stmt{toks: toks, kw: toks[0].Upper, guards: guards, top: c.top, inIf: c.inIf,
				inTry: c.inTry, tryOK: c.tryOK, hasPrev: i > 0, index: len(u.stmts)}
			if i == 0 {
				st.ifCond = c.ifCond
			}
			if i > 0 {
				st.prevTok = nodes[i-1].last
			}
			if n.kind == nModule {
				st.module = n
			}
			if prev != nil {
				prev.next = st
			}
			for _, p := range pending {
				p.next = st
			}
			pending = nil
			prev = st
			u.stmts = append(u.stmts, st)
			u.checkStmt(st)
			u.recordAssignments(toks)
		case nIf, nWhile:
			prev = nil
			u.markVarGuard(n.cond)
			u.checkCond(n)
			ctx := walkCtx{guards: &guard{c: n.cond, parent: guards}, ifCond: n.cond, inIf: true, inTry: c.inTry, tryOK: c.tryOK}
			u.walk(n.body, ctx)
			if len(n.els) > 0 {
				ctx.ifCond = nil
				ctx.guards = &guard{c: n.cond, inverted: true, parent: guards}
				u.walk(n.els, ctx)
			}
			if c.top && n.kind == nIf && (n.cond.sysProbe || n.cond.exists || n.cond.varGuard) && exits(n.body) {
				u.exits = &guard{c: n.cond, inverted: true, parent: u.exits}
			}
		case nBlock:
			prev = nil
			ctx := c
			ctx.top = false
			ctx.guards = guards
			if n.block == "TRY" {
				ctx.inTry = true
				ctx.tryOK = i+1 < len(nodes) && nodes[i+1].block == "CATCH" && hasToken(nodes[i+1].toks, "ROLLBACK")
			}
			if i > 0 || c.ifCond == nil {
				ctx.ifCond = nil
			}
			u.walk(n.body, ctx)
		}
		if n.kind != nSimple && n.kind != nModule {
			for _, s := range u.stmts[before:] {
				if s.next == nil {
					pending = append(pending, s)
				}
			}
		}
	}
}

// recordAssignments remembers the variables a statement assigns from a query or probe.
func (u *unit) recordAssignments(toks []tsql.Token) {
	vs := assignedVars(toks)
	if len(vs) == 0 || !queryValued(toks) {
		return
	}
	if u.queried == nil {
		u.queried = map[string]bool{}
	}
	for _, v := range vs {
		u.queried[v] = true
	}
}

// markVarGuard marks a condition that reads a variable assigned from a query or probe: the
// linter cannot tell what it tests, so it counts as a guard.
func (u *unit) markVarGuard(c *cond) {
	for _, v := range c.vars {
		if u.queried[v] {
			c.varGuard = true
			return
		}
	}
}

// exits reports whether an IF body ends the batch: RETURN, SET NOEXEC ON, or a block holding one.
func exits(body []*node) bool {
	for _, n := range body {
		switch n.kind {
		case nSimple:
			if n.first.Is("RETURN") {
				return true
			}
			if n.first.Is("SET") && len(n.toks) >= 3 && n.toks[1].Is("NOEXEC") && n.toks[2].Is("ON") {
				return true
			}
		case nBlock:
			if exits(n.body) {
				return true
			}
		}
	}
	return false
}

func hasToken(toks []tsql.Token, kw string) bool {
	for _, t := range toks {
		if t.Is(kw) {
			return true
		}
	}
	return false
}

// guard is one condition a statement runs under, linked to the enclosing ones.
type guard struct {
	c        *cond
	inverted bool // the statement runs when the condition is false: ELSE branch, or after an early exit
	parent   *guard
}

// sense is what a guard lets through: present when the statement runs only if the probed object
// exists, absent when it runs only if it does not, unknown when the linter cannot tell.
func (g *guard) sense() sense {
	s := g.c.sense()
	if g.inverted {
		return -s
	}
	return s
}

type sense int

const (
	absent  sense = -1
	unknown sense = 0
	present sense = 1
)

type guardState int

const (
	unguarded guardState = iota
	otherProbe
	wrongSense
	guarded
)

// guardOf decides whether a statement runs only under a condition that probes one of names.
// A probe of the catalog that names something else is otherProbe; a test of a user table (a
// migration ledger), of @@ROWCOUNT or of a variable read from the database is accepted, because
// the linter cannot tell. want is the state the statement needs (absent for CREATE, present for
// DROP); when every probe naming the object clearly lets the statement run only in the other
// state, the result is wrongSense.
func guardOf(st *stmt, want sense, names ...string) guardState {
	best := unguarded
	for g := st.guards; g != nil; g = g.parent {
		c := g.c
		switch {
		case c.mentions(names) && (c.sysProbe || c.exists):
			if want != unknown && g.sense() == -want {
				best = max(best, wrongSense)
				continue
			}
			return guarded
		case c.sysProbe:
			best = max(best, otherProbe)
		case c.exists || c.rowcount || c.varGuard:
			return guarded
		}
	}
	return best
}

// tableAbsent reports whether an enclosing guard lets the statement run only when table does not
// exist yet: indexes, constraints and columns created together with their table.
func tableAbsent(st *stmt, table string) bool {
	for g := st.guards; g != nil; g = g.parent {
		c := g.c
		if (c.sysProbe || c.exists) && !c.subProbe && g.sense() == absent && c.mentions([]string{table}) {
			return true
		}
	}
	return false
}

type directive struct {
	codes    []string
	reason   string
	file     bool
	tok      tsql.Token
	target   span
	used     bool
	valid    bool
	trailing bool
	line     span // the GO or sqlcmd line that follows an own-line directive
	hasLine  bool
}

// parseDirective reads an ejops:ignore or ejops:ignore-file directive from the comment t; prev is
// the last token before it that is not whitespace. It reports whether t is a directive.
func (l *linter) parseDirective(t, prev tsql.Token, hasPrev bool) bool {
	text := t.Text
	if t.Kind == tsql.LineComment {
		text = text[2:]
	} else {
		text = strings.TrimSuffix(strings.TrimPrefix(text, "/*"), "*/")
	}
	text = strings.TrimSpace(text)
	var d directive
	switch {
	case strings.HasPrefix(text, "ejops:ignore-file"):
		d.file = true
		text = text[len("ejops:ignore-file"):]
	case strings.HasPrefix(text, "ejops:ignore"):
		text = text[len("ejops:ignore"):]
	default:
		return false
	}
	d.tok = t
	d.codes, d.reason = splitCodes(text)
	if hasPrev && prev.Kind != tsql.Newline && !prev.Trivia() {
		d.trailing = true
		d.target = span{prev.Offset, prev.Offset + 1}
	}
	l.directives = append(l.directives, d)
	return true
}

// attachLine makes the own-line directive i apply to a GO or sqlcmd line when that is what
// follows it: such a line is not a statement, so no statement span would hold its findings.
func (l *linter) attachLine(i int, t tsql.Token) {
	if t.Kind == tsql.BatchSeparator || t.Kind == tsql.SqlcmdCommand {
		l.directives[i].line = span{t.Offset, t.Offset + len(t.Text)}
		l.directives[i].hasLine = true
	}
}

// splitCodes splits a directive's text into its comma-separated codes (spaces around commas
// allowed) and the reason that follows them.
func splitCodes(text string) (codes []string, reason string) {
	rest := strings.TrimSpace(text)
	for rest != "" {
		end := strings.IndexAny(rest, " \t,")
		if end < 0 {
			end = len(rest)
		}
		codes = append(codes, rest[:end])
		rest = strings.TrimLeft(rest[end:], " \t")
		if !strings.HasPrefix(rest, ",") {
			break
		}
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	return codes, rest
}

// applySuppressions removes suppressed findings and reports bad or unused directives.
// A directive on its own line applies to the next statement (with its IF or block body); a
// directive after code on the same line applies to the statement that code belongs to.
func (l *linter) applySuppressions() []finding {
	u := &unit{l: l}
	var extra []finding
	for i := range l.directives {
		d := &l.directives[i]
		d.valid = true
		if len(d.codes) == 0 {
			d.valid = false
			u.report(codeBadSuppression, d.tok, "ejops:ignore names no rule code")
			continue
		}
		for j, c := range d.codes {
			if strings.EqualFold(c, "all") {
				d.codes[j] = "all"
				continue
			}
			r, ok := lookup(c)
			if !ok {
				d.valid = false
				u.report(codeBadSuppression, d.tok, "ejops:ignore names unknown rule %q", c)
				continue
			}
			d.codes[j] = r.Code
		}
		if d.reason == "" {
			d.valid = false
			u.report(codeBadSuppression, d.tok, "ejops:ignore %s has no reason; the suppression is not applied", strings.Join(d.codes, ","))
		}
		if !d.valid {
			continue
		}
		switch {
		case d.file:
			d.target = span{0, len(l.src) + 1}
		case d.trailing:
			d.target = innermost(l.simple, d.target.start)
		default:
			d.target = nextSpan(l.spans, d.tok.Offset+len(d.tok.Text))
		}
	}
	var out []finding
	for _, f := range l.findings {
		suppressed := false
		for i := range l.directives {
			d := &l.directives[i]
			if !d.valid || f.code == codeBadSuppression {
				continue
			}
			in := f.off >= d.target.start && f.off < d.target.end
			if d.hasLine && !d.file && f.off >= d.line.start && f.off < d.line.end {
				in = true
			}
			if !in {
				continue
			}
			for _, c := range d.codes {
				if c == f.code || c == "all" {
					suppressed = true
					d.used = true
				}
			}
		}
		if !suppressed {
			out = append(out, f)
		}
	}
	for _, d := range l.directives {
		if d.valid && !d.used {
			extra = append(extra, finding{code: codeBadSuppression, sev: byCode[codeBadSuppression].Severity, off: d.tok.Offset,
				msg: fmt.Sprintf("ejops:ignore %s suppresses nothing", strings.Join(d.codes, ","))})
		}
	}
	return append(out, extra...)
}

func innermost(spans []span, off int) span {
	best := span{-1, -1}
	for _, s := range spans {
		if s.start <= off && off < s.end && (best.start < 0 || s.end-s.start < best.end-best.start) {
			best = s
		}
	}
	return best
}

func nextSpan(spans []span, off int) span {
	best := span{-1, -1}
	for _, s := range spans {
		if s.start >= off && (best.start < 0 || s.start < best.start) {
			best = s
		}
	}
	return best
}
