package spec

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ejops/ejops/schema"
	"gopkg.in/yaml.v3"
)

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
		unknownFields(d, v, n, pos, at, ds)
	case kind == "required":
		for _, m := range quoted.FindAllStringSubmatch(v.Message, -1) {
			if path == "" && m[1] == "apiVersion" {
				ds.Add(pos, Error, CodeMissingField, "missing required field apiVersion; add apiVersion: %s", APIVersion)
				continue
			}
			ds.Add(pos, Error, CodeMissingField, "missing required field %s", at(m[1]))
		}
	case kind == "type":
		ds.Add(pos, Error, CodeType, "%s: %s", where, strings.Replace(v.Message, ", but got", ", got", 1))
	case v.Pointer == "/kind":
		if hint := didYouMean(n.Value, kinds); hint != "" {
			ds.Add(pos, Error, CodeKind, "unknown kind %q%s", n.Value, hint)
			break
		}
		ds.Add(pos, Error, CodeKind, "unknown kind %q; want Credential, TargetGroup, Job or Agent", n.Value)
	case v.Pointer == "/apiVersion":
		ds.Add(pos, Error, CodeAPIVersion, "unknown apiVersion %q; did you mean %s?", n.Value, APIVersion)
	case strings.HasSuffix(v.Keyword, "/steps/items/oneOf"):
		ds.Add(pos, Error, CodeMissingField, "%s: give exactly one of command or commandFile", where)
	case strings.Contains(v.Keyword, "/secretFrom/"):
		ds.Add(pos, Error, CodeValue, "%s: give exactly one of env or file", where)
	case strings.HasPrefix(v.Keyword, "/definitions/duration/"):
		ds.Add(pos, Error, CodeValue, "%s: %q is not a duration such as 90s, 5m, 2h or 1d", where, n.Value)
	case strings.Contains(v.Keyword, "/every/"):
		ds.Add(pos, Error, CodeInterval, "%s: %q is not an interval: once, or a count followed by m, h, d, w or mo", where, n.Value)
	case strings.HasSuffix(v.Keyword, "/schedule/properties/at/pattern"):
		ds.Add(pos, Error, CodeAt, "%s: %q is not a time of day HH:MM such as 08:00 or 23:30", where, n.Value)
	case strings.HasPrefix(v.Keyword, "/definitions/jobName/pattern"):
		nth := utf8.RuneCountInString(n.Value[:max(strings.IndexByte(n.Value, '%'), 0)]) + 1
		ds.Add(pos, Error, CodeJobPercent, "%s: %q contains the percent character (%%) at character %d; the job database refuses %% in job names", where, n.Value, nth)
	case strings.HasPrefix(v.Keyword, "/definitions/localDateTime/"):
		ds.Add(pos, Error, CodeValue, "%s: %q is not a date-time such as 2026-01-01T02:00:00Z, or in timeZone a local date 2026-01-01 or date and time 2026-01-01T08:00", where, n.Value)
	case strings.Contains(v.Keyword, "/schedule/dependencies/"):
		ds.Add(pos, Error, CodeMissingField, "%s: at and timeZone go together: the time of day of a schedule in local time, and its IANA time zone such as America/Chicago", where)
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

// unknownFields reports the fields of mapping n that the schema does not define, each at its key,
// with the defined field it most likely stands for; a field named like a secret is reported as an
// inline secret instead.
func unknownFields(d *document, v schema.Violation, n *yaml.Node, pos Pos, at func(string) string, ds *Diagnostics) {
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
		ds.Add(kpos, Error, CodeUnknownField, "unknown field %s%s", at(m[1]), didYouMean(m[1], v.Known))
	}
}
