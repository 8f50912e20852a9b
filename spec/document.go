package spec

import (
	"github.com/ejops/ejops/schema"
	"gopkg.in/yaml.v3"
)

// document is one YAML document of a file on its way through the passes.
type document struct {
	l       *loader
	file    string     // display path
	path    string     // path to open, as found
	tree    *tree      // the folder its commandFiles must stay inside
	lines   *lineIndex // the whole file, for positions inside block scalars
	root    *yaml.Node
	kind    string // "" when not a known string
	name    string
	namePos Pos
	pos     Pos // position of the kind key, or of the document
	valid   bool
	obj     any
	diags   Diagnostics
}

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
