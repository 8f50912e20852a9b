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

// scalarSource says where the text of scalar n starts in its file. Lines after the first map only
// for literal block scalars (|), whose lines are the file's lines less the indentation; folded (>),
// quoted and plain multi-line scalars join or unescape lines, so only their first line maps.
func scalarSource(d *document, n *yaml.Node) Source {
	switch {
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		return Source{File: d.file, Line: n.Line, Col: n.Column + 1, Indent: -1}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0:
		return Source{File: d.file, Line: n.Line, Col: n.Column, Indent: -1}
	}
	indent := -1
	if header, ok := d.lines.line(n.Line); ok && n.Column-1 <= len(header) {
		// an explicit indentation indicator counts from the indentation of the key's mapping
		ind := header[n.Column-1:]
		if k := strings.IndexAny(ind, "123456789"); k >= 0 && k <= 2 {
			prefix := header[:n.Column-1]
			if c := strings.LastIndexByte(prefix, ':'); c >= 0 {
				prefix = prefix[:c]
			}
			parent := len(prefix) - len(strings.TrimLeft(prefix, " -"))
			indent = parent + int(ind[k]-'0')
		}
	}
	if indent < 0 {
		indent = 0
		for l := n.Line + 1; ; l++ {
			text, ok := d.lines.line(l)
			if !ok {
				break
			}
			if strings.TrimSpace(text) == "" {
				continue
			}
			indent = len(text) - len(strings.TrimLeft(text, " "))
			break
		}
	}
	src := Source{File: d.file, Line: n.Line + 1, Col: indent + 1, Indent: indent}
	if n.Style&yaml.FoldedStyle != 0 {
		src.Indent = -1
	}
	return src
}

// lineIndex finds lines of a file by number; the offsets are computed on first use.
type lineIndex struct {
	data   []byte
	starts []int
}

// line returns line n (1-based) without its line break, and false past the end.
func (li *lineIndex) line(n int) (string, bool) {
	if li.starts == nil {
		li.starts = append(li.starts, 0)
		for i, c := range li.data {
			if c == '\n' {
				li.starts = append(li.starts, i+1)
			}
		}
	}
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
