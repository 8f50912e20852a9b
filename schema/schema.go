package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// URL is the schema's $id, where editors can fetch it: `# yaml-language-server: $schema=<URL>`, or a
// path to the file in a checkout or written by `ejops schema`.
const URL = "https://raw.githubusercontent.com/ejops/ejops/main/schema/ejops.schema.json"

// JSON is the schema document.
//
//go:embed ejops.schema.json
var JSON []byte

// Violation is one way a document breaks the schema.
type Violation struct {
	// Pointer is the JSON pointer of the offending value, "" for the document itself.
	Pointer string
	// Keyword is the schema location of the failing keyword, e.g. "/definitions/step/oneOf".
	Keyword string
	// Message is the validator's description of the problem, with whole-number bounds written as
	// integers ("must be <= 2147483647", not 2.147483647e+09).
	Message string
	// Known lists, for an additionalProperties violation, the properties the schema defines at that
	// place, sorted; callers use it to suggest the field that was meant.
	Known []string
}

// Kind returns the failing keyword's name, e.g. "additionalProperties" or "required".
func (v Violation) Kind() string {
	return v.Keyword[strings.LastIndexByte(v.Keyword, '/')+1:]
}

// compiled holds the whole schema under "" and, per kind, the schema of that kind's documents, so a
// document is checked without trying the other kinds' branches.
var compiled = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	if err := c.AddResource(URL, bytes.NewReader(JSON)); err != nil {
		return nil, fmt.Errorf("add schema: %w", err)
	}
	out := map[string]*jsonschema.Schema{}
	for _, kind := range []string{"", "Credential", "TargetGroup", "Job", "Agent"} {
		url := URL
		if kind != "" {
			url += "#/definitions/" + kind + "Document"
		}
		s, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("compile schema: %w", err)
		}
		out[kind] = s
	}
	return out, nil
})

// Validate checks one decoded document: maps are map[string]any, lists []any, numbers json.Number,
// and the other scalars string, bool or nil. It returns every violation, in the validator's order.
func Validate(doc any) ([]Violation, error) {
	schemas, err := compiled()
	if err != nil {
		return nil, err
	}
	s := schemas[""]
	if m, ok := doc.(map[string]any); ok {
		if kind, ok := m["kind"].(string); ok && schemas[kind] != nil {
			s = schemas[kind]
		}
	}
	err = s.Validate(doc)
	if err == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, fmt.Errorf("validate: %w", err)
	}
	var out []Violation
	collect(ve, &out)
	return out, nil
}

// collect appends the leaves of the error tree; a failed oneOf or anyOf is one leaf, because its
// branches' failures only say why no branch matched.
func collect(ve *jsonschema.ValidationError, out *[]Violation) {
	kw := ve.AbsoluteKeywordLocation
	if i := strings.IndexByte(kw, '#'); i >= 0 {
		kw = kw[i+1:]
	}
	leaf := len(ve.Causes) == 0 || strings.HasSuffix(kw, "/oneOf") || strings.HasSuffix(kw, "/anyOf")
	if !leaf {
		for _, c := range ve.Causes {
			collect(c, out)
		}
		return
	}
	v := Violation{Pointer: ve.InstanceLocation, Keyword: kw, Message: integerBounds(ve.Message)}
	if v.Kind() == "additionalProperties" {
		v.Known = properties(strings.TrimSuffix(kw, "/additionalProperties"))
	}
	*out = append(*out, v)
}

// tree is the schema document decoded, for looking up the properties of its objects.
var tree = sync.OnceValue(func() map[string]any {
	var m map[string]any
	if err := json.Unmarshal(JSON, &m); err != nil {
		return nil
	}
	return m
})

// properties returns the sorted names of the properties that the schema object at pointer (a JSON
// pointer into the schema document, such as /definitions/JobDocument) defines.
func properties(pointer string) []string {
	var node any = tree()
	for seg := range strings.SplitSeq(strings.TrimPrefix(pointer, "/"), "/") {
		if seg == "" {
			continue
		}
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch n := node.(type) {
		case map[string]any:
			node = n[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			node = n[i]
		default:
			return nil
		}
	}
	obj, _ := node.(map[string]any)
	props, _ := obj["properties"].(map[string]any)
	return slices.Sorted(maps.Keys(props))
}

// floatExp matches a number as fmt's %v prints a float64 in exponent form, the form the validator
// gives the bounds of minimum, maximum and multipleOf in.
var floatExp = regexp.MustCompile(`-?\d+(?:\.\d+)?e[+-]\d+`)

// integerBounds rewrites the whole numbers in msg that fmt printed in exponent form as integers.
func integerBounds(msg string) string {
	return floatExp.ReplaceAllStringFunc(msg, func(s string) string {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return s
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	})
}
