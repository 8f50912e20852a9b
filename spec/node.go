package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ejops/ejops/schema"
	"gopkg.in/yaml.v3"
)

// process runs the structural pass, the schema pass and the decoding pass over one document,
// collecting its diagnostics in d.diags and then dropping the YAML nodes it no longer needs.
func (l *loader) process(d *document) {
	defer func() { d.root, d.lines = nil, nil }()
	ds := &d.diags
	if d.root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(d.root.Content); i += 2 {
			k, v := d.root.Content[i], d.root.Content[i+1]
			switch k.Value {
			case "kind":
				d.pos = nodePos(d.file, k)
				if v.Kind == yaml.ScalarNode {
					d.kind = v.Value
				}
			case "metadata":
				if v.Kind == yaml.MappingNode {
					for j := 0; j+1 < len(v.Content); j += 2 {
						if v.Content[j].Value == "name" && v.Content[j+1].Kind == yaml.ScalarNode {
							d.name = v.Content[j+1].Value
							d.namePos = nodePos(d.file, v.Content[j+1])
						}
					}
				}
			}
		}
	}
	w := &walker{d: d, ds: ds}
	value := w.value(d.root, "")
	if w.bad {
		return
	}
	vs, err := schema.Validate(value)
	if err != nil {
		ds.Add(d.pos, Error, CodeValue, "cannot check the document against the schema: %v", err)
		return
	}
	for _, v := range vs {
		violation(d, v, ds)
	}
	if len(vs) > 0 {
		return
	}
	d.valid = true
	decode(d, ds)
}

// walker converts a YAML node tree into the JSON values the schema validator takes, reporting
// aliases, duplicate keys and inline secrets on the way.
type walker struct {
	d       *document
	ds      *Diagnostics
	bad     bool // the document cannot be checked further
	aliased bool // an alias was reported; one per document is enough
}

var (
	tsqlSecret = regexp.MustCompile(`(?i)\b(SECRET|PASSWORD)\s*=\s*N?'`)
	connSecret = regexp.MustCompile(`(?i)\b(password|pwd)\s*=\s*[^\s;'"]`)
)

func (w *walker) value(n *yaml.Node, key string) any {
	w.tag(n)
	switch n.Kind {
	case yaml.AliasNode:
		if !w.aliased {
			w.ds.Add(nodePos(w.d.file, n), Error, CodeAlias, "YAML aliases are not allowed in specs (alias *%s); write the value out", n.Value)
		}
		w.bad, w.aliased = true, true
		return nil
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				w.ds.Add(nodePos(w.d.file, k), Error, CodeType, "mapping keys must be strings")
				w.bad = true
				continue
			}
			w.tag(k)
			if k.Tag == "!!merge" {
				w.ds.Add(nodePos(w.d.file, k), Error, CodeAlias, "YAML merge keys (<<) are not allowed in specs; write the fields out")
				w.bad = true
				continue
			}
			if _, dup := m[k.Value]; dup {
				first := 0
				for j := 0; j < i; j += 2 {
					if n.Content[j].Value == k.Value {
						first = n.Content[j].Line
						break
					}
				}
				w.ds.Add(nodePos(w.d.file, k), Error, CodeDuplicateKey, "duplicate key %q (first at line %d)", k.Value, first)
				w.bad = true
				continue
			}
			m[k.Value] = w.value(v, k.Value)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = w.value(c, "")
		}
		return s
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			return w.value(n.Content[0], key)
		}
		return nil
	}
	return w.scalar(n, key)
}

func (w *walker) scalar(n *yaml.Node, key string) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return n.Value
		}
		return b
	case "!!int":
		var i big.Int
		if _, ok := i.SetString(n.Value, 0); ok {
			return json.Number(i.String())
		}
		return n.Value
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return n.Value
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	}
	if strings.IndexByte(n.Value, '=') >= 0 {
		if key == "command" {
			if loc := tsqlSecret.FindStringIndex(n.Value); loc != nil {
				src := scalarSource(w.d, n)
				l, c := offsetLineCol(n.Value, loc[0])
				w.ds.Add(src.Map(l, c), Error, CodeSecret, "secret written inline in the step's T-SQL (%s); create credentials from a Credential spec with secretFrom", strings.TrimSpace(n.Value[loc[0]:loc[1]-1]))
			}
		} else if loc := connSecret.FindStringIndex(n.Value); loc != nil {
			w.ds.Add(nodePos(w.d.file, n), Error, CodeSecret, "value holds a password (%s…); reference secrets with a Credential's secretFrom", n.Value[loc[0]:loc[1]-1])
		}
	}
	return n.Value
}

// tag reports an explicit YAML tag on n that the walker would not honour.
func (w *walker) tag(n *yaml.Node) {
	if n.Style&yaml.TaggedStyle == 0 || n.Kind == yaml.AliasNode {
		return
	}
	if msg := badTag(n); msg != "" {
		w.ds.Add(nodePos(w.d.file, n), Error, CodeAlias, "%s", msg)
		w.bad = true
	}
}

// coreTags are the tags of YAML's core schema the walker reads, by the kind of node they may tag.
var coreTags = map[string]yaml.Kind{
	"!!str": yaml.ScalarNode, "!!int": yaml.ScalarNode, "!!float": yaml.ScalarNode, "!!bool": yaml.ScalarNode,
	"!!null": yaml.ScalarNode, "!!timestamp": yaml.ScalarNode, "!!map": yaml.MappingNode, "!!seq": yaml.SequenceNode,
}

var kindNames = map[yaml.Kind]string{yaml.ScalarNode: "a scalar", yaml.MappingNode: "a mapping", yaml.SequenceNode: "a sequence"}

// badTag explains why the explicit tag on n is not allowed, or returns "". Other tags (!Ref,
// !!binary, !!set and the like) would be ignored, so the spec would not mean what it says.
func badTag(n *yaml.Node) string {
	kind, ok := coreTags[n.Tag]
	switch {
	case !ok:
		return "YAML tag " + n.Tag + " is not allowed in specs; remove it and write the plain value"
	case kind != n.Kind:
		return "YAML tag " + n.Tag + " is on " + kindNames[n.Kind] + "; remove it"
	}
	var err error
	switch v := strings.ReplaceAll(n.Value, "_", ""); n.Tag {
	case "!!int":
		if _, ok := new(big.Int).SetString(n.Value, 0); !ok {
			err = strconv.ErrSyntax
		}
	case "!!float":
		_, err = strconv.ParseFloat(v, 64)
	case "!!bool":
		_, err = strconv.ParseBool(strings.ToLower(n.Value))
	case "!!null":
		if v := strings.ToLower(n.Value); v != "" && v != "~" && v != "null" {
			err = strconv.ErrSyntax
		}
	}
	if err != nil {
		return fmt.Sprintf("YAML tag %s does not match the value %q; remove it", n.Tag, n.Value)
	}
	return ""
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

// resolve follows a JSON pointer from n; it returns the value node, the key node that names it
// (nil for list items and the root) and the dotted path of the value.
func resolve(n *yaml.Node, pointer string) (value, key *yaml.Node, path string) {
	value = n
	if pointer == "" {
		return value, nil, ""
	}
	var b strings.Builder
	for seg := range strings.SplitSeq(strings.TrimPrefix(pointer, "/"), "/") {
		if u, err := url.PathUnescape(seg); err == nil {
			seg = u
		}
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch value.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(value.Content); i += 2 {
				if value.Content[i].Value == seg {
					key, value = value.Content[i], value.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return value, key, b.String()
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(seg)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(value.Content) {
				return value, key, b.String()
			}
			key, value = nil, value.Content[i]
			fmt.Fprintf(&b, "[%d]", i)
		default:
			return value, key, b.String()
		}
	}
	return value, key, b.String()
}

var (
	quoted     = regexp.MustCompile(`'([^']*)'`)
	secretKeys = regexp.MustCompile(`(?i)^(password|passwd|pwd|secret|clientsecret|client_secret|token|apikey|api_key|accesskey|connectionstring)$`)
)

// violation turns one schema violation into diagnostics positioned on the YAML node.
func violation(d *document, v schema.Violation, ds *Diagnostics) {
	n, key, path := resolve(d.root, v.Pointer)
	pos := nodePos(d.file, n)
	if key != nil && n.Kind != yaml.ScalarNode {
		pos = nodePos(d.file, key)
	}
	at := func(field string) string {
		if path == "" {
			return field
		}
		return path + "." + field
	}
	where := path
	if where == "" {
		where = "document"
	}
	switch kind := v.Kind(); {
	case kind == "additionalProperties" && n.Kind == yaml.MappingNode:
		for _, m := range quoted.FindAllStringSubmatch(v.Message, -1) {
			kpos := pos
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == m[1] {
					kpos = nodePos(d.file, n.Content[i])
				}
			}
			if secretKeys.MatchString(m[1]) {
				ds.Add(kpos, Error, CodeSecret, "secret written inline (%s); reference secrets with a Credential's secretFrom (env or file)", at(m[1]))
				continue
			}
			ds.Add(kpos, Error, CodeUnknownField, "unknown field %s", at(m[1]))
		}
	case kind == "required":
		for _, m := range quoted.FindAllStringSubmatch(v.Message, -1) {
			ds.Add(pos, Error, CodeMissingField, "missing required field %s", at(m[1]))
		}
	case kind == "type":
		ds.Add(pos, Error, CodeType, "%s: %s", where, strings.Replace(v.Message, ", but got", ", got", 1))
	case v.Pointer == "/kind":
		ds.Add(pos, Error, CodeKind, "unknown kind %q; want Credential, TargetGroup, Job or Agent", n.Value)
	case v.Pointer == "/apiVersion":
		ds.Add(pos, Error, CodeAPIVersion, "unknown apiVersion %q; want ejops/v1", n.Value)
	case strings.HasSuffix(v.Keyword, "/steps/items/oneOf"):
		ds.Add(pos, Error, CodeMissingField, "%s: give exactly one of command or commandFile", where)
	case strings.Contains(v.Keyword, "/secretFrom/"):
		ds.Add(pos, Error, CodeValue, "%s: give exactly one of env or file", where)
	case strings.HasPrefix(v.Keyword, "/definitions/duration/"):
		ds.Add(pos, Error, CodeValue, "%s: %q is not a duration such as 90s, 5m, 2h or 1d", where, n.Value)
	case strings.Contains(v.Keyword, "/every/"):
		ds.Add(pos, Error, CodeInterval, "%s: %q is not an interval: once, or a count followed by m, h, d, w or mo", where, n.Value)
	case kind == "format":
		ds.Add(pos, Error, CodeValue, "%s: %q is not an RFC 3339 date-time such as 2026-01-01T02:00:00Z", where, n.Value)
	case strings.Contains(v.Keyword, "/lint/"):
		if key != nil && strings.Contains(v.Keyword, "propertyNames") {
			pos = nodePos(d.file, key)
		}
		ds.Add(pos, Error, CodeValue, "%s: %s (rules are named by code, such as EJ301, or by name, such as insert-unguarded; severities are off, info, warning or error)", where, v.Message)
	case kind == "enum":
		ds.Add(pos, Error, CodeValue, "%s: %q is not allowed; %s", where, n.Value, v.Message)
	default:
		ds.Add(pos, Error, CodeValue, "%s: %s", where, v.Message)
	}
}
