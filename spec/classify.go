package spec

import (
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// isSpec reports whether a YAML document is an ejops spec, to be checked, rather than a document
// of another tool (a compose file, a Kubernetes manifest, a workflow), to be skipped. A mapping is
// a spec when its apiVersion is ejops/… or a near miss of it, or, without an apiVersion, when its
// kind is one of ours; a list is one when an item is, since a list of specs is a mistake worth
// reporting; a lone scalar is reported as well, since it is no tool's document.
func isSpec(root *yaml.Node) bool {
	switch root.Kind {
	case yaml.MappingNode:
		return isSpecMapping(root)
	case yaml.SequenceNode:
		return slices.ContainsFunc(root.Content, func(n *yaml.Node) bool {
			return n.Kind == yaml.MappingNode && isSpecMapping(n)
		})
	case yaml.AliasNode:
		return root.Alias != nil && isSpec(root.Alias)
	}
	return true
}

// isSpecMapping applies isSpec's rule to a mapping.
func isSpecMapping(m *yaml.Node) bool {
	var version, kind *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		v := m.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		switch m.Content[i].Value {
		case "apiVersion":
			version = firstOf(version, v)
		case "kind":
			kind = firstOf(kind, v)
		}
	}
	if version != nil && version.Kind == yaml.ScalarNode && version.Tag != "!!null" && version.Value != "" {
		return ejopsVersion(version.Value)
	}
	return kind != nil && kind.Kind == yaml.ScalarNode && ourKind(kind.Value)
}

// firstOf returns first when it is set, else n: the first of repeated keys decides.
func firstOf(first, n *yaml.Node) *yaml.Node {
	if first != nil {
		return first
	}
	return n
}

// ourKind reports whether kind names a kind of spec document, in any case.
func ourKind(kind string) bool {
	return slices.ContainsFunc(kinds, func(k string) bool { return strings.EqualFold(k, kind) })
}

// ejopsVersion reports whether an apiVersion is ejops/… or a near miss of ejops/v1: the group
// ejops in another case or one edit away (ejop/v1, Ejops/v1), or the whole one edit away
// (ejops.v1, ejopsv1). Other tools' versions (v1, apps/v1, batch/v1) are further off.
func ejopsVersion(v string) bool {
	if strings.HasPrefix(v, "ejops/") {
		return true
	}
	lower := strings.ToLower(v)
	group, _, _ := strings.Cut(lower, "/")
	return editDistance([]rune(group), []rune("ejops")) <= 1 || editDistance([]rune(lower), []rune(APIVersion)) <= 1
}

var (
	textVersion = regexp.MustCompile(`(?m)(?:^|[\s{,])["']?apiVersion["']?[ \t]*:[ \t]*["']?([^\s"',}\]#]+)`)
	textKind    = regexp.MustCompile(`(?m)(?:^|[\s{,])["']?kind["']?[ \t]*:[ \t]*["']?(\w+)`)
)

// looksLikeSpec judges a file that cannot be parsed by its text: it looks like a spec when it
// names an ejops apiVersion (or a near miss), or names none and gives one of our kinds.
func looksLikeSpec(data []byte) bool {
	versions := textVersion.FindAllSubmatch(data, -1)
	for _, m := range versions {
		if ejopsVersion(string(m[1])) {
			return true
		}
	}
	if len(versions) > 0 {
		return false
	}
	for _, m := range textKind.FindAllSubmatch(data, -1) {
		if ourKind(string(m[1])) {
			return true
		}
	}
	return false
}
