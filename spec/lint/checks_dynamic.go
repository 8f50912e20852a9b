package lint

import (
	"strings"

	"github.com/ejops/ejops/tsql"
)

// lintDynamic lints a single string literal as its own batch, or reports opaque dynamic SQL (EJ502).
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
	u.report(codeDynamicSQL, st.toks[0], "dynamic SQL built from %s is opaque to the linter; its idempotence is unchecked", describe(arg))
}

// describe names the dynamic SQL argument in a message.
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
