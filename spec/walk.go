package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// walker converts a YAML node tree into the JSON values the schema validator takes, reporting
// aliases, duplicate keys and inline secrets on the way.
type walker struct {
	d       *document
	ds      *Diagnostics
	bad     bool // the document cannot be checked further
	aliased bool // an alias was reported; one per document is enough
	full    bool // the document has as many problems as are checked; the rest is not walked
}

var (
	tsqlSecret = regexp.MustCompile(`(?i)\b(SECRET|PASSWORD)\s*=\s*N?'`)
	connSecret = regexp.MustCompile(`(?i)\b(password|pwd)\s*=\s*[^\s;'"]`)
)

// over reports whether the document has as many problems as are checked, saying so once, at n,
// when it first does: the walk then stops.
func (w *walker) over(n *yaml.Node) bool {
	if limit := w.d.l.limits.fileDiags; !w.full && len(*w.ds) >= limit {
		w.ds.Add(nodePos(w.d.file, n), Error, CodeLimit, "more than %d problems in this document; ejops checks at most %d, so the rest of it is not checked", limit, limit)
		w.bad, w.full = true, true
	}
	return w.full
}

func (w *walker) value(n *yaml.Node, key string) any {
	if w.over(n) {
		return nil
	}
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
		lines := make(map[string]int, len(n.Content)/2) // of the keys seen, by key
		for i := 0; i+1 < len(n.Content) && !w.over(n.Content[i]); i += 2 {
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
			if first, dup := lines[k.Value]; dup {
				w.ds.Add(nodePos(w.d.file, k), Error, CodeDuplicateKey, "duplicate key %q (first at line %d)", k.Value, first)
				w.bad = true
				continue
			}
			lines[k.Value] = k.Line
			m[k.Value] = w.value(v, k.Value)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			if w.over(c) {
				break
			}
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
	if key == "command" {
		if strings.IndexByte(n.Value, '=') >= 0 || strings.IndexByte(n.Value, 0) >= 0 {
			checkCommand(w.ds, n.Value, scalarSource(w.d, n))
		}
	} else if strings.IndexByte(n.Value, '=') >= 0 {
		if loc := connSecret.FindStringIndex(n.Value); loc != nil {
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
