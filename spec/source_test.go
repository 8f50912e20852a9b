package spec

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// sourceSeeds hold scalars in every style; checkSources must find each of them mapped exactly.
var sourceSeeds = []string{
	"a: SELECT N'é'; CREATE TABLE x\n",
	"a: SELECT 1;\n  SELECT 2;\n\n    EXEC p;   \n  # not a comment? yes it is\n",
	"a: 'it''s'\n",
	"a: 'SELECT ''a'';\n   SELECT 2;\n\n\n  x'\n",
	"a: \"\\t\\u00e9\\\"\\\\\\U0001F600\\x41 é x\"\n",
	"a: \"a\\n  b\\\n   \\ c\\\n\n  d \\\n  e\"\n",
	"- {a: \"x\\ty\", b: 'p''q', c: plain text, d: \"u\n  v\"}\n",
	"a: >\n  x\n  y\n\n  z\n",
	"a: >-\n  x\n    more\n  y\n\n    z\n  w\n",
	"a:\n  - >+\n    x\n     y\n\n",
	"a: |\n  x\n   y\n",
	"a: |2\n     x\n    y\n",
	"a: \"x\"\r\nb: 'p\r\n  q'\r\nc: >\r\n  r\r\n  s\r\n",
}

// checkSources loads every scalar of data and checks that each non-blank rune of its value maps
// to the same rune in the file (or to the backslash of its escape). It returns how many scalars
// had no exact mapping.
func checkSources(t *testing.T, data []byte) (approximate int) {
	t.Helper()
	lines := &lineIndex{data: data}
	runes := map[int][]rune{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var root yaml.Node
		if err := safeDecode(dec, &root); err != nil {
			return approximate
		}
		d := &document{file: "f.yaml", lines: lines}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			for _, c := range n.Content {
				walk(c)
			}
			if n.Kind != yaml.ScalarNode || n.Value == "" {
				return
			}
			src := scalarSource(d, n)
			if src.m == nil && src.Indent < 0 {
				text, _ := lines.line(src.Line)
				if i := runeOffset(text, src.Col); i < 0 || !strings.HasPrefix(text[i:], n.Value) {
					approximate++
					return
				}
			}
			l, c := 1, 1
			for _, r := range n.Value {
				if r == '\n' {
					l, c = l+1, 1
					continue
				}
				if r != ' ' && r != '\t' {
					p := src.Map(l, c)
					text, ok := runes[p.Line]
					if !ok {
						s, _ := lines.line(p.Line)
						text = []rune(s)
						runes[p.Line] = text
					}
					got := '?'
					if p.Col >= 1 && p.Col <= len(text) {
						got = text[p.Col-1]
					}
					if got != r && !(got == '\\' && n.Style&yaml.DoubleQuotedStyle != 0) && !(got == '\'' && r == '\'') {
						t.Fatalf("value %q line %d col %d (%q) maps to %d:%d (%q)", n.Value, l, c, r, p.Line, p.Col, got)
					}
				}
				c++
			}
		}
		walk(&root)
	}
}

func TestScalarSource(t *testing.T) {
	for _, s := range sourceSeeds {
		if n := checkSources(t, []byte(s)); n > 0 {
			t.Errorf("%d scalars of %q not mapped exactly", n, s)
		}
	}
}

// TestScalarSourceMap checks positions by hand for a folded and a double-quoted scalar.
func TestScalarSourceMap(t *testing.T) {
	data := []byte("a: >-\n  x y\n    z\n\n  w\nb: \"p\\tq\n  \\u00e9r\"\n")
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	d := &document{file: "f.yaml", lines: &lineIndex{data: data}}
	m := root.Content[0].Content
	for _, c := range []struct {
		n          *yaml.Node
		value      string
		l, c, line int
		col        int
	}{
		{m[1], "x y\n  z\n\nw", 1, 3, 2, 5},
		{m[1], "", 2, 3, 3, 5},
		{m[1], "", 4, 1, 5, 3},
		{m[3], "p\tq ér", 1, 2, 6, 6},
		{m[3], "", 1, 3, 6, 8},
		{m[3], "", 1, 5, 7, 3},
		{m[3], "", 1, 6, 7, 9},
	} {
		if c.value != "" && c.n.Value != c.value {
			t.Fatalf("value %q, want %q", c.n.Value, c.value)
		}
		if p := scalarSource(d, c.n).Map(c.l, c.c); p != (Pos{"f.yaml", c.line, c.col}) {
			t.Errorf("%q: Map(%d, %d) = %v, want %d:%d", c.n.Value, c.l, c.c, p, c.line, c.col)
		}
	}
}

// FuzzScalarSource checks the mapping of every scalar of arbitrary YAML.
func FuzzScalarSource(f *testing.F) {
	for _, s := range sourceSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// YAML also breaks lines at a lone CR, NEL, LS and PS, which the loader's line index,
		// and so every position it reports, does not count as line breaks
		s := strings.ReplaceAll(string(data), "\r\n", "\n")
		if utf8.Valid(data) && len(data) <= 4096 && !strings.ContainsAny(s, "\r\u0085\u2028\u2029") {
			checkSources(t, data)
		}
	})
}
