package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/ejops/ejops/spec"
)

// Rule is the metadata of one diagnostic code, from the spec checks or the T-SQL lint.
type Rule struct {
	ID       string
	Name     string
	Severity spec.Severity // default severity
	Summary  string
	Help     string
	// Bad and Good are optional examples of code the rule reports and code it accepts; SARIF shows
	// them in the rule's help.markdown.
	Bad, Good string
}

// Rules indexes rule metadata by code.
type Rules []Rule

func (rs Rules) find(code string) (Rule, int, bool) {
	for i, r := range rs {
		if r.ID == code {
			return r, i, true
		}
	}
	return Rule{}, -1, false
}

// Text writes one line per diagnostic, `file:line:col: severity: CODE: message`, in sorted order.
func Text(w io.Writer, ds spec.Diagnostics) error {
	ds = sorted(ds)
	for _, d := range ds {
		if _, err := fmt.Fprintln(w, d); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// Finding is one element of the JSON format, an array sorted like the text format. Line and Column
// are 1-based (0 when the problem concerns a whole file), Severity is "error", "warning" or "info",
// and Rule is the code's name when known. Fields are only ever added, never renamed or removed.
type Finding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Rule     string `json:"rule,omitempty"`
	Message  string `json:"message"`
}

// JSON writes the diagnostics as a JSON array of Finding, sorted like Text.
func JSON(w io.Writer, ds spec.Diagnostics, rules Rules) error {
	out := make([]Finding, 0, len(ds))
	for _, d := range sorted(ds) {
		r, _, _ := rules.find(d.Code)
		out = append(out, Finding{File: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Col, Severity: d.Severity.String(), Code: d.Code, Rule: r.Name, Message: d.Message})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// GitHub writes GitHub Actions workflow commands, errors first because GitHub shows only the first
// ten annotations of each severity per step.
func GitHub(w io.Writer, ds spec.Diagnostics, rules Rules) error {
	ds = sorted(ds)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Severity < ds[j].Severity })
	for _, d := range ds {
		cmd := "error"
		switch d.Severity {
		case spec.Warning:
			cmd = "warning"
		case spec.Info:
			cmd = "notice"
		}
		props := []string{"file=" + escapeProperty(d.Pos.File)}
		if d.Pos.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", d.Pos.Line))
			if d.Pos.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", d.Pos.Col))
			}
		}
		title := d.Code
		if r, _, ok := rules.find(d.Code); ok && r.Name != "" {
			title += " " + r.Name
		}
		props = append(props, "title="+escapeProperty(title))
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", cmd, strings.Join(props, ","), escapeData(d.Message)); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// escapeData escapes a workflow command's message as actions/toolkit does.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value as actions/toolkit does.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// maxSummaryRows bounds the table of the step summary; the log holds every diagnostic.
const maxSummaryRows = 50

// Summary writes a short Markdown summary for $GITHUB_STEP_SUMMARY; with strict, warnings fail it.
func Summary(w io.Writer, ds spec.Diagnostics, files int, strict bool) error {
	ds = sorted(ds)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Severity < ds[j].Severity })
	var b strings.Builder
	b.WriteString("### ejops validate\n\n")
	errs, warns := ds.Count(spec.Error), ds.Count(spec.Warning)
	if len(ds) == 0 {
		fmt.Fprintf(&b, ":white_check_mark: %d spec files, no problems.\n", files)
	} else {
		mark := ":white_check_mark:"
		if errs > 0 || strict && warns > 0 {
			mark = ":x:"
		}
		fmt.Fprintf(&b, "%s %d spec files: %s, %s.\n\n", mark, files, plural(errs, "error"), plural(warns, "warning"))
		b.WriteString("| Severity | Location | Code | Message |\n|---|---|---|---|\n")
		for i, d := range ds {
			if i == maxSummaryRows {
				fmt.Fprintf(&b, "\n%d more in the log.\n", len(ds)-maxSummaryRows)
				break
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", d.Severity, cell(d.Pos.String()), d.Code, cell(d.Message))
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ", "`", "'").Replace(s)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func sorted(ds spec.Diagnostics) spec.Diagnostics {
	out := append(spec.Diagnostics(nil), ds...)
	out.Sort()
	return out
}

// joinSentences joins a summary and a help text as two sentences.
func joinSentences(summary, help string) string {
	summary, help = strings.TrimSpace(summary), strings.TrimSpace(help)
	switch {
	case help == "":
		return summary
	case summary == "":
		return help
	}
	if !strings.HasSuffix(summary, ".") && !strings.HasSuffix(summary, "!") && !strings.HasSuffix(summary, "?") {
		summary += "."
	}
	return summary + " " + help
}

// helpMarkdown renders a rule's help with its examples; it is empty when the rule has none.
func helpMarkdown(r Rule) string {
	if r.Bad == "" && r.Good == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(nonEmpty(r.Help, nonEmpty(r.Summary, r.ID)))
	if r.Bad != "" {
		b.WriteString("\n\nReported:\n\n```sql\n" + strings.TrimRight(r.Bad, "\n") + "\n```")
	}
	if r.Good != "" {
		b.WriteString("\n\nAccepted:\n\n```sql\n" + strings.TrimRight(r.Good, "\n") + "\n```")
	}
	return b.String()
}

// SARIF writes a SARIF 2.1.0 log that GitHub code scanning accepts. Every rule is listed with its
// help; results point at repository-relative files with 1-based Unicode code point columns.
func SARIF(w io.Writer, ds spec.Diagnostics, rules Rules, version string) error {
	type text struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown,omitempty"`
	}
	type sarifRule struct {
		ID                   string         `json:"id"`
		Name                 string         `json:"name,omitempty"`
		ShortDescription     text           `json:"shortDescription"`
		FullDescription      text           `json:"fullDescription"`
		Help                 text           `json:"help"`
		DefaultConfiguration map[string]any `json:"defaultConfiguration"`
		Properties           map[string]any `json:"properties"`
	}
	type region struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	type physical struct {
		ArtifactLocation map[string]string `json:"artifactLocation"`
		Region           *region           `json:"region,omitempty"`
	}
	type location struct {
		PhysicalLocation physical `json:"physicalLocation"`
	}
	type result struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           *int              `json:"ruleIndex,omitempty"`
		Level               string            `json:"level"`
		Message             text              `json:"message"`
		Locations           []location        `json:"locations"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
	}
	srules := make([]sarifRule, 0, len(rules))
	for _, r := range rules {
		full := joinSentences(r.Summary, r.Help)
		srules = append(srules, sarifRule{
			ID: r.ID, Name: r.Name,
			ShortDescription:     text{Text: nonEmpty(r.Summary, r.ID)},
			FullDescription:      text{Text: nonEmpty(full, r.ID)},
			Help:                 text{Text: nonEmpty(r.Help, nonEmpty(r.Summary, r.ID)), Markdown: helpMarkdown(r)},
			DefaultConfiguration: map[string]any{"level": level(r.Severity)},
			Properties:           map[string]any{"tags": []string{"elastic-jobs"}, "precision": "high", "problem.severity": problemSeverity(r.Severity)},
		})
	}
	results := make([]result, 0, len(ds))
	seen := map[string]int{}
	for _, d := range sorted(ds) {
		res := result{RuleID: d.Code, Level: level(d.Severity), Message: text{Text: d.Message}}
		if _, i, ok := rules.find(d.Code); ok {
			res.RuleIndex = &i
		}
		loc := physical{ArtifactLocation: map[string]string{"uri": fileURI(d.Pos.File), "uriBaseId": "%SRCROOT%"}}
		if d.Pos.Line > 0 {
			loc.Region = &region{StartLine: d.Pos.Line, StartColumn: d.Pos.Col}
		} else {
			loc.Region = &region{StartLine: 1}
		}
		res.Locations = []location{{loc}}
		sum := sha256.Sum256([]byte(d.Code + "\x00" + d.Pos.File + "\x00" + d.Message))
		h := hex.EncodeToString(sum[:16])
		seen[h]++
		res.PartialFingerprints = map[string]string{"primaryLocationLineHash": fmt.Sprintf("%s:%d", h, seen[h])}
		results = append(results, res)
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name":            "ejops",
				"semanticVersion": version,
				"informationUri":  "https://github.com/ejops/ejops",
				"rules":           srules,
			}},
			"columnKind":        "unicodeCodePoints",
			"automationDetails": map[string]string{"id": "ejops/validate/"},
			"results":           results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}

// fileURI turns a slash-separated relative path into a relative URI reference.
func fileURI(p string) string {
	return (&url.URL{Path: p}).String()
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func level(s spec.Severity) string {
	switch s {
	case spec.Error:
		return "error"
	case spec.Warning:
		return "warning"
	}
	return "note"
}

func problemSeverity(s spec.Severity) string {
	switch s {
	case spec.Error:
		return "error"
	case spec.Warning:
		return "warning"
	}
	return "recommendation"
}

// SpecRules returns the metadata of the spec checks' codes.
func SpecRules() Rules {
	var out Rules
	for _, r := range spec.Rules() {
		out = append(out, Rule{ID: r.Code, Name: r.Name, Severity: r.Severity, Summary: r.Summary, Help: r.Help})
	}
	return out
}
