package spec

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Source maps positions inside a step's T-SQL back to the file that holds it.
// For an inline block scalar, line L column C of the command is at Line+L-1, Indent+C of File.
// Folded, quoted and plain multi-line scalars, whose text YAML joins or unescapes, carry a map
// from positions in the command to positions in the file instead.
type Source struct {
	File   string
	Line   int // file line of the command's first line
	Col    int // file column of the command's first character on its first line
	Indent int // columns to add to C on lines after the first (block scalars); -1 when lines do not map
	m      *sourceMap
}

// sourceMap lists where runs of a scalar's value start in its file, in value order.
type sourceMap struct {
	segs []segment
}

// segment is a run of runes of the value that stand one for one on consecutive columns of one
// file line: value line, column map to file line, column, and each next column to the next.
type segment struct {
	line, col, fileLine, fileCol int32
}

// Map returns the file position of line l, column c (both 1-based) of the command.
func (s Source) Map(l, c int) Pos {
	if s.m != nil && len(s.m.segs) > 0 {
		segs := s.m.segs
		// the last segment that starts at or before (l, c)
		i := sort.Search(len(segs), func(i int) bool {
			g := segs[i]
			return int(g.line) > l || int(g.line) == l && int(g.col) > c
		})
		g := segs[max(i-1, 0)]
		if int(g.line) != l || i == 0 {
			return Pos{File: s.File, Line: int(g.fileLine), Col: int(g.fileCol)}
		}
		return Pos{File: s.File, Line: int(g.fileLine), Col: int(g.fileCol) + c - int(g.col)}
	}
	if l <= 1 {
		return Pos{File: s.File, Line: s.Line, Col: s.Col + c - 1}
	}
	if s.Indent < 0 {
		return Pos{File: s.File, Line: s.Line, Col: s.Col}
	}
	return Pos{File: s.File, Line: s.Line + l - 1, Col: s.Indent + c}
}

// offsetLineCol returns the 1-based line and rune column of byte offset off in s.
func offsetLineCol(s string, off int) (line, col int) {
	line = 1 + strings.Count(s[:off], "\n")
	start := strings.LastIndexByte(s[:off], '\n') + 1
	return line, utf8.RuneCountInString(s[start:off]) + 1
}

// scalarSource says where the text of scalar n is in its file. Literal block scalars (|) map by
// their indentation; other styles, whose lines YAML folds and whose escapes it decodes, carry a
// map built by replaying those rules over the file's text, unless the value stands verbatim on
// one line.
func scalarSource(d *document, n *yaml.Node) Source {
	switch {
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		return flowSource(d, n, Source{File: d.file, Line: n.Line, Col: n.Column + 1, Indent: -1})
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0:
		return flowSource(d, n, Source{File: d.file, Line: n.Line, Col: n.Column, Indent: -1})
	}
	indent := blockIndent(d, n)
	src := Source{File: d.file, Line: n.Line + 1, Col: indent + 1, Indent: indent}
	if n.Style&yaml.FoldedStyle != 0 {
		src.Indent = -1
		src.m = scalarMap(d, n, n.Line+1, 1, indent)
		src.first()
	}
	return src
}

// flowSource completes the Source of a plain or quoted scalar that starts at src.Line, src.Col.
func flowSource(d *document, n *yaml.Node, src Source) Source {
	if text, ok := d.lines.line(src.Line); ok {
		i := runeOffset(text, src.Col)
		if i >= 0 && strings.HasPrefix(text[i:], n.Value) &&
			(n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 || strings.HasPrefix(text[i+len(n.Value):], text[i-1:i])) {
			return src // the common case: the value stands verbatim on its line
		}
	}
	src.m = scalarMap(d, n, src.Line, src.Col, 0)
	src.first()
	return src
}

// first moves Line and Col to the start of the map, dropping a map of one run, which Line and
// Col describe exactly.
func (s *Source) first() {
	if s.m == nil {
		return
	}
	g := s.m.segs[0]
	s.Line, s.Col = int(g.fileLine), int(g.fileCol)
	if len(s.m.segs) == 1 {
		s.m = nil
	}
}

// runeOffset returns the byte offset of 1-based rune column col in text, or -1 past its end.
func runeOffset(text string, col int) int {
	for i := range text {
		if col--; col == 0 {
			return i
		}
	}
	if col == 1 {
		return len(text)
	}
	return -1
}

// blockIndent returns the indentation of block scalar n's content, in columns.
func blockIndent(d *document, n *yaml.Node) int {
	header, _ := d.lines.line(n.Line)
	if at := runeOffset(header, n.Column); at >= 0 {
		// an explicit indentation indicator counts from the indentation of the key's mapping
		ind := header[at:]
		if k := strings.IndexAny(ind, "123456789"); k >= 0 && k <= 2 {
			// the parent is the mapping of the key, the sequence of the item, or none at the root
			prefix, parent := strings.TrimRight(header[:at], " "), -1
			switch {
			case strings.HasSuffix(prefix, ":"):
				parent = len(prefix) - len(strings.TrimLeft(prefix, " -"))
			case strings.HasSuffix(prefix, "-"):
				parent = len(prefix) - 1
			}
			return max(parent, 0) + int(ind[k]-'0')
		}
	}
	for l := n.Line + 1; ; l++ {
		text, ok := d.lines.line(l)
		if !ok {
			return 0
		}
		if strings.TrimSpace(text) != "" {
			return len(text) - len(strings.TrimLeft(text, " "))
		}
	}
}

// scalarMap maps the value of scalar n, whose text starts at file line, col, back to the file.
// It walks the file's text unit by unit (a character, an escape sequence, a quote pair, a line
// break) next to the value: content units must match the value, blanks and breaks match the
// spaces and line breaks YAML kept or folded them into and are skipped otherwise. Continuation
// lines lose their leading blanks (plain and quoted) or indent columns (folded). It returns nil
// when the file's text does not give the value, so callers keep the first-line position.
func scalarMap(d *document, n *yaml.Node, line, col, indent int) *sourceMap {
	var quote byte
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		quote = '"'
	case n.Style&yaml.SingleQuotedStyle != 0:
		quote = '\''
	}
	folded := n.Style&yaml.FoldedStyle != 0
	b := mapBuilder{value: n.Value, line: 1, col: 1}
	for first := true; b.off < len(b.value); line, first = line+1, false {
		text, ok := d.lines.line(line)
		if !ok {
			break
		}
		i, fc := 0, 1
		switch {
		case first && !folded:
			if i = runeOffset(text, col); i < 0 {
				return nil
			}
			fc = col
		case folded:
			for i < len(text) && i < indent && text[i] == ' ' {
				i++
			}
			fc = i + 1
		default:
			for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
				i++
			}
			fc = i + 1
		}
		escapedBreak := false
		for i < len(text) && b.off < len(b.value) {
			r, w := utf8.DecodeRuneInString(text[i:])
			runes, content := 1, r != ' ' && r != '\t'
			switch {
			case quote == 0:
			case r == rune(quote) && (quote == '"' || i+1 == len(text) || text[i+1] != '\''):
				return b.done()
			case quote == '\'' && r == '\'':
				w, runes = 2, 2
			case r == '\\' && quote == '"':
				if i+1 == len(text) {
					escapedBreak = true
					i++
					continue
				}
				var k int
				if r, k = unescape(text[i+1:]); k == 0 {
					return nil
				}
				w, runes, content = 1+k, 1+utf8.RuneCountInString(text[i+1:i+1+k]), true
			}
			if !b.feed(r, content, line, fc) {
				return nil
			}
			i += w
			fc += runes
		}
		if !escapedBreak && !b.feed('\n', false, line, fc) {
			return nil
		}
	}
	return b.done()
}

// unescape decodes the double-quoted escape sequence that follows a backslash at the start of s,
// returning the rune and the sequence's length in bytes, or 0 for an invalid one.
func unescape(s string) (rune, int) {
	if s == "" {
		return 0, 0
	}
	digits := 0
	switch s[0] {
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	case 'U':
		digits = 8
	default:
		if r, ok := escapes[s[0]]; ok {
			return r, 1
		}
		return 0, 0
	}
	if len(s) < 1+digits {
		return 0, 0
	}
	v, err := strconv.ParseUint(s[1:1+digits], 16, 32)
	if err != nil {
		return 0, 0
	}
	return rune(v), 1 + digits
}

// escapes are YAML's one-character escape sequences in double-quoted scalars.
var escapes = map[byte]rune{
	'0': 0, 'a': '\a', 'b': '\b', 't': '\t', '\t': '\t', 'n': '\n', 'v': '\v', 'f': '\f', 'r': '\r',
	'e': 0x1b, ' ': ' ', '"': '"', '\'': '\'', '/': '/', '\\': '\\', 'N': 0x85, '_': 0xa0, 'L': 0x2028, 'P': 0x2029,
}

// mapBuilder collects the segments of a sourceMap while it walks the value.
type mapBuilder struct {
	value     string
	off       int // bytes of value consumed
	line, col int // position of the next rune of value
	segs      []segment
}

// feed offers the file unit r at fileLine, fileCol. A content unit must be the value's next rune
// (blanks of the value without a source, such as folded line breaks, are placed at the unit); a
// blank or line break matches a space or line break of the value or is skipped.
func (b *mapBuilder) feed(r rune, content bool, fileLine, fileCol int) bool {
	for b.off < len(b.value) {
		v, w := utf8.DecodeRuneInString(b.value[b.off:])
		switch {
		case v == r || !content && r == '\n' && v == ' ':
			b.emit(v, w, fileLine, fileCol)
			return true
		case !content:
			return true
		case v == ' ' || v == '\t' || v == '\n':
			b.emit(v, w, fileLine, fileCol)
		default:
			return false
		}
	}
	return true
}

func (b *mapBuilder) emit(v rune, w, fileLine, fileCol int) {
	if k := len(b.segs) - 1; k < 0 || int(b.segs[k].line) != b.line || int(b.segs[k].fileLine) != fileLine ||
		int(b.segs[k].fileCol)+b.col-int(b.segs[k].col) != fileCol {
		b.segs = append(b.segs, segment{int32(b.line), int32(b.col), int32(fileLine), int32(fileCol)})
	}
	b.off += w
	if v == '\n' {
		b.line, b.col = b.line+1, 1
	} else {
		b.col++
	}
}

// done returns the map, or nil when the value holds more than blanks the file did not give.
func (b *mapBuilder) done() *sourceMap {
	if strings.TrimLeft(b.value[b.off:], " \t\n") != "" || len(b.segs) == 0 {
		return nil
	}
	return &sourceMap{segs: b.segs}
}

// lineIndex finds lines of a file by number. The offsets are computed on first use, once, even
// when several documents of the file are checked in parallel.
type lineIndex struct {
	data   []byte
	once   sync.Once
	starts []int
}

// line returns line n (1-based) without its line break, and false past the end.
func (li *lineIndex) line(n int) (string, bool) {
	li.once.Do(func() {
		li.starts = append(li.starts, 0)
		for i, c := range li.data {
			if c == '\n' {
				li.starts = append(li.starts, i+1)
			}
		}
	})
	if n < 1 || n > len(li.starts) || li.starts[n-1] >= len(li.data) {
		return "", false
	}
	return lineText(li.data[li.starts[n-1]:], 1), true
}
