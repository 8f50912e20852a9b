package view

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/spec"
)

// Markdown is GitHub-flavoured Markdown, a form of plan.
const Markdown Format = "markdown"

// MaxComment is the most characters GitHub accepts in the body of a pull request comment.
const MaxComment = 65536

// MarkdownLimit is the size the Markdown plan keeps under by default, in bytes (so in characters
// too): a comment's limit less room for the line that marks the comment as ejops'.
const MarkdownLimit = MaxComment - 512

// Caps on what one section shows, so that one huge step does not hide every other change.
const (
	maxBlockLines = 200      // lines of one T-SQL block
	maxBlockBytes = 16 << 10 // bytes of one T-SQL block
	maxLineRunes  = 400      // runes of one line in a T-SQL block
	maxRefs       = 100      // objects listed in one of the lists of objects left alone
)

// StepRef names a step of a job, by the names of the specs.
type StepRef struct{ Job, Step string }

// PlanMarkdown is the plan as GitHub-flavoured Markdown for a pull request comment or a job
// summary: a one-line verdict, a table of changes by kind, each object's changes in a collapsed
// section with T-SQL changes as diff blocks, and the lint findings of the steps it adds or changes.
// Text from specs and the job database is escaped so that it can neither format nor end
// anything, and the whole stays under Limit, cut with a note that says where the full plan is.
type PlanMarkdown struct {
	*View
	// Findings are the lint findings of the steps the plan adds or changes.
	Findings map[StepRef]spec.Diagnostics
	// FullPlan is a Markdown sentence that says where the full plan is, shown when the plan is cut.
	FullPlan string
	// Limit is the most bytes the Markdown may take; 0 means MarkdownLimit.
	Limit int
}

// Plan writes the Markdown plan to Stdout, and warnings of the credentials it could not check and
// of the schedules in local time to apply again to Stderr.
func (m *PlanMarkdown) Plan(p *runner.Plan) error {
	warnUnverified(m.Stderr, p)
	warnReapply(m.Stderr, p)
	warnReach(m.Stderr, p)
	_, err := io.WriteString(m.Stdout, m.Render(p))
	return err
}

// Render returns the Markdown plan.
func (m *PlanMarkdown) Render(p *runner.Plan) string {
	limit := m.Limit
	if limit <= 0 {
		limit = MarkdownLimit
	}
	full := m.FullPlan
	if full == "" {
		full = "Run `ejops plan` for the full plan."
	}
	var b strings.Builder
	b.WriteString(verdict(p))
	changeTable(&b, p)
	unverified(&b, p.Unverified)
	// Sections are rendered one by one while they fit, leaving room for the note that says the
	// plan was cut: a plan of thousands of jobs renders only what is shown.
	budget := limit - len(full) - 300
	fits := func(s string) bool {
		if b.Len()+len(s) > budget {
			return false
		}
		b.WriteString(s)
		return true
	}
	for i, c := range p.Changes {
		if !fits(m.changeSection(c)) {
			cutNote(&b, len(p.Changes)-i, len(p.Changes), full)
			return b.String()
		}
	}
	refs := []string{
		refsSection("not managed by this scope (left alone)", p.Scope, p.Unmanaged),
		refsSection("applied by this scope that left the specs (kept; apply with --prune to delete)", p.Scope, p.Kept),
		refsSection(fmt.Sprintf("that apply will record as owned by scope %s", code(p.Scope)), p.Scope, p.Adopt),
		schedulesSection(p),
	}
	for _, s := range refs {
		if !fits(s) {
			cutNote(&b, 0, len(p.Changes), full)
			break
		}
	}
	return b.String()
}

// verdict is the first line: what the plan does, in one sentence.
func verdict(p *runner.Plan) string {
	head := fmt.Sprintf("**ejops plan** for scope %s", code(p.Scope))
	switch {
	case p.Empty() && len(p.Unverified) > 0:
		return fmt.Sprintf("✅ %s: no changes. The job database matches the specs, apart from the credentials that could not be checked.\n\n", head)
	case p.Empty():
		return fmt.Sprintf("✅ %s: no changes. The job database matches the specs.\n\n", head)
	}
	add, change, destroy := p.Counts()
	icon := "📝"
	if destroy > 0 {
		icon = "⚠️"
	}
	return fmt.Sprintf("%s %s: %d to add, %d to change, %d to destroy.\n\n", icon, head, add, change, destroy)
}

// unverified warns of the credentials the plan could not check; it is never cut.
func unverified(b *strings.Builder, us []runner.Unverified) {
	if len(us) == 0 {
		return
	}
	fmt.Fprintf(b, "> [!WARNING]\n> %s this plan could not check (apply checks them, and needs every secret):\n", Count(len(us), "credential"))
	for i, u := range us {
		if i == maxRefs {
			fmt.Fprintf(b, "> - … and %d more\n", len(us)-maxRefs)
			break
		}
		fmt.Fprintf(b, "> - %s: %s\n", code(u.Name), code(EscapeLine(u.Reason)))
	}
	b.WriteString("\n")
}

// kindRows are the kinds in the table's order, with their plural words.
var kindRows = []struct{ kind, words string }{
	{runner.KindCredential, "credentials"}, {runner.KindTargetGroup, "target groups"}, {runner.KindJob, "jobs"},
}

// changeTable counts the changes by kind and action; nothing when the plan is empty.
func changeTable(b *strings.Builder, p *runner.Plan) {
	if p.Empty() {
		return
	}
	counts := map[string]map[runner.Action]int{}
	for _, c := range p.Changes {
		if counts[c.Kind] == nil {
			counts[c.Kind] = map[runner.Action]int{}
		}
		counts[c.Kind][c.Action]++
	}
	b.WriteString("| | add | change | destroy |\n|---|--:|--:|--:|\n")
	for _, r := range kindRows {
		if n := counts[r.kind]; n != nil {
			fmt.Fprintf(b, "| %s | %d | %d | %d |\n", r.words, n[runner.Create], n[runner.Update], n[runner.Delete])
		}
	}
	b.WriteString("\n")
}

var actionWords = map[runner.Action]string{runner.Create: "create", runner.Update: "change", runner.Delete: "delete"}

// actionIcons stand for the text plan's +, ~ and -, which Markdown would read as list items.
var actionIcons = map[runner.Action]string{runner.Create: "➕", runner.Update: "🔄", runner.Delete: "➖"}

// changeSection is one object's change as a collapsed section.
func (m *PlanMarkdown) changeSection(c runner.Change) string {
	var b strings.Builder
	reach := ""
	if c.Reach != nil {
		reach = ", reaches " + DescribeReach(c.Reach) + partly(c.Reach)
	}
	fmt.Fprintf(&b, "<details><summary>%s <b>%s %s</b> %s%s%s</summary>\n\n",
		actionIcons[c.Action], actionWords[c.Action], runner.KindWord(c.Kind), code(c.Name), subCounts(c), reach)
	if c.Action == runner.Delete {
		fmt.Fprintf(&b, "The %s is deleted from the job database.\n\n", runner.KindWord(c.Kind))
	}
	mdFields(&b, c.Fields, c.Action == runner.Create)
	for _, s := range c.Subs {
		fmt.Fprintf(&b, "%s **%s** %s\n\n", actionIcons[s.Action], subLabel(c.Kind, s), code(s.Name)+subDetail(s))
		mdFields(&b, s.Fields, s.Action == runner.Create)
		if c.Kind == runner.KindJob && s.Action != runner.Delete {
			name := s.Name
			if s.NewName != "" {
				name = s.NewName
			}
			findings(&b, m.Findings[StepRef{c.Name, name}])
		}
	}
	b.WriteString("</details>\n\n")
	return b.String()
}

// subLabel is "step" or "member", with the action done to it.
func subLabel(kind string, s runner.SubChange) string {
	return fmt.Sprintf("%s %s", actionWords[s.Action], subWord(kind))
}

// subWord names the parts a change changes: the steps of a job, the members of a target group.
func subWord(kind string) string {
	if kind == runner.KindTargetGroup {
		return "member"
	}
	return "step"
}

// subDetail tells a step's new name and position.
func subDetail(s runner.SubChange) string {
	var d string
	if s.NewName != "" {
		d += " → " + code(s.NewName)
	}
	return d + positionNote(s)
}

// positionNote tells where a step is added or moved: " (moved to position 2)".
func positionNote(s runner.SubChange) string {
	switch {
	case s.Position > 0 && s.Action == runner.Update:
		return fmt.Sprintf(" (moved to position %d)", s.Position)
	case s.Position > 0:
		return fmt.Sprintf(" (position %d)", s.Position)
	}
	return ""
}

// subCounts sums up the steps or members a change adds, changes and deletes.
func subCounts(c runner.Change) string {
	if len(c.Subs) == 0 {
		return ""
	}
	n := map[runner.Action]int{}
	for _, s := range c.Subs {
		n[s.Action]++
	}
	var parts []string
	for _, a := range []runner.Action{runner.Create, runner.Update, runner.Delete} {
		if n[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %sd", n[a], actionWords[a]))
		}
	}
	return fmt.Sprintf(": %ss %s", subWord(c.Kind), strings.Join(parts, ", "))
}

// mdFields shows fields as a table, and commands as SQL or diff blocks after it.
func mdFields(b *strings.Builder, fs []runner.Field, create bool) {
	var commands []runner.Field
	rows := 0
	for _, f := range fs {
		if f.Name == "command" {
			commands = append(commands, f)
			continue
		}
		if rows == 0 {
			if create {
				b.WriteString("| field | value |\n|---|---|\n")
			} else {
				b.WriteString("| field | before | after |\n|---|---|---|\n")
			}
		}
		rows++
		if create {
			fmt.Fprintf(b, "| %s | %s |\n", f.Name, code(show(f, f.New)))
		} else {
			fmt.Fprintf(b, "| %s | %s | %s |\n", f.Name, code(show(f, f.Old)), code(show(f, f.New)))
		}
	}
	if rows > 0 {
		b.WriteString("\n")
	}
	for _, f := range commands {
		if create {
			codeBlock(b, "sql", strings.Split(strings.TrimRight(f.New, "\n"), "\n"))
		} else {
			codeBlock(b, "diff", runner.UnifiedDiff(f.Old, f.New))
		}
	}
}

// codeBlock writes lines as a fenced block whose fence is longer than any run of backticks in
// them, so no line can end it; control characters are shown escaped, and long blocks are cut.
func codeBlock(b *strings.Builder, lang string, lines []string) {
	var shown []string
	longest, size := 0, 0
	for _, l := range lines {
		l = clip(Escape(l))
		if size += len(l) + 1; len(shown) == maxBlockLines || size > maxBlockBytes {
			break
		}
		shown = append(shown, l)
		longest = max(longest, backtickRun(l))
	}
	fence := strings.Repeat("`", max(3, longest+1))
	fmt.Fprintf(b, "%s%s\n%s\n%s\n", fence, lang, strings.Join(shown, "\n"), fence)
	if more := len(lines) - len(shown); more > 0 {
		fmt.Fprintf(b, "*… %d more lines not shown.*\n", more)
	}
	b.WriteString("\n")
}

// clip cuts a line to maxLineRunes runes.
func clip(l string) string {
	if utf8.RuneCountInString(l) <= maxLineRunes {
		return l
	}
	return string([]rune(l)[:maxLineRunes]) + " …"
}

// backtickRun is the length of the longest run of backticks in s.
func backtickRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// findings lists a step's lint findings as validate prints them, in a code block: messages quote
// names and T-SQL, which must not turn into mentions or links.
func findings(b *strings.Builder, ds spec.Diagnostics) {
	if len(ds) == 0 {
		return
	}
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	b.WriteString("Lint:\n\n")
	codeBlock(b, "text", lines)
}

// refsSection lists objects the plan leaves alone, in a collapsed section; empty when none.
func refsSection(what, scope string, rs []runner.Ref) string {
	if len(rs) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>%s %s</summary>\n\n", Count(len(rs), "object"), what)
	for i, r := range rs {
		if i == maxRefs {
			fmt.Fprintf(&b, "- … and %d more\n", len(rs)-maxRefs)
			break
		}
		fmt.Fprintf(&b, "- %s %s", runner.KindWord(r.Kind), code(r.Name))
		if r.Scope != "" && r.Scope != scope {
			fmt.Fprintf(&b, " (scope %s)", code(r.Scope))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n</details>\n\n")
	return b.String()
}

// cutNote ends a plan cut with missing of its total changes not shown.
func cutNote(b *strings.Builder, missing, total int, full string) {
	fmt.Fprintf(b, "> [!NOTE]\n> This plan is cut to fit GitHub's limit of %d characters: ", MaxComment)
	if missing == 0 {
		b.WriteString("every change is shown, but not every list of objects left alone")
	} else {
		fmt.Fprintf(b, "%d of %d changes are not shown", missing, total)
	}
	fmt.Fprintf(b, ". %s\n", full)
}

// code shows text from specs or the job database as inline code that cannot hold markup.
func code(s string) string { return "<code>" + text(s) + "</code>" }

// mdSpecial are the characters that can start Markdown, HTML, entities, mentions, links, tables
// or math; text shows them as character references.
const mdSpecial = "\\`*_{}[]()<>#+!|~&\"'@$:=^"

// text escapes text from specs or the job database for Markdown and HTML: names that hold
// unprintable characters are quoted (as the text plan does) and every character that could format
// becomes a character reference, so it shows as itself.
func text(s string) string {
	s = safeName(s)
	if !strings.ContainsAny(s, mdSpecial) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf && strings.ContainsRune(mdSpecial, r) {
			fmt.Fprintf(&b, "&#%d;", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
