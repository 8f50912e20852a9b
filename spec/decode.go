package spec

import (
	"errors"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// decoder fills the typed model from a document that passed the schema, recording the position of
// every field it reads in the Meta.
type decoder struct {
	d    *document
	ds   *Diagnostics
	meta *Meta
}

// fields is one node, a mapping or a list, and the number of its dotted path.
type fields struct {
	dec  *decoder
	n    *yaml.Node
	path uint32
}

// lookup returns the key and value nodes of key in the mapping, or nils.
func (f fields) lookup(key string) (k, v *yaml.Node) {
	if f.n == nil || f.n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(f.n.Content); i += 2 {
		if f.n.Content[i].Value == key {
			return f.n.Content[i], f.n.Content[i+1]
		}
	}
	return nil, nil
}

// valuePos is where a field is reported: a scalar on its value, a mapping or list on the key that
// names it.
func valuePos(k, v *yaml.Node) (line, col int) {
	if v.Kind != yaml.ScalarNode {
		return k.Line, k.Column
	}
	return v.Line, v.Column
}

func (f fields) get(key string) *yaml.Node {
	k, v := f.lookup(key)
	if v != nil {
		line, col := valuePos(k, v)
		f.dec.meta.fields.add(f.child(key), line, col)
	}
	return v
}

// child returns the number of the path of key under f.
func (f fields) child(key string) uint32 {
	return f.dec.meta.fields.paths.step(pathStep{parent: f.path, index: -1, key: key})
}

func (f fields) join(key string) string {
	if p := f.dec.meta.fields.paths.path(f.path); p != "" {
		return p + "." + key
	}
	return key
}

func (f fields) sub(key string) fields {
	return fields{dec: f.dec, n: f.get(key), path: f.child(key)}
}

func (f fields) str(key string) string {
	if v := f.get(key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

func (f fields) has(key string) bool { return f.get(key) != nil }

// pos returns the position of key's field, or of the document when the mapping has no such key.
func (f fields) pos(key string) Pos {
	k, v := f.lookup(key)
	if v == nil {
		return f.dec.meta.Pos
	}
	line, col := valuePos(k, v)
	return Pos{File: f.dec.d.file, Line: line, Col: col}
}

func (f fields) integer(key string, def int) int {
	v := f.get(key)
	if v == nil {
		return def
	}
	var i big.Int
	if _, ok := i.SetString(v.Value, 0); ok && i.IsInt64() {
		return int(i.Int64())
	}
	return def
}

func (f fields) float(key string, def float64) float64 {
	v := f.get(key)
	if v == nil {
		return def
	}
	x, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64)
	if err != nil {
		return def
	}
	return x
}

func (f fields) boolean(key string) bool {
	v := f.get(key)
	return v != nil && strings.EqualFold(v.Value, "true")
}

// duration reads a duration field; a value that does not parse is reported with the given code.
func (f fields) duration(key string, def time.Duration, code string) time.Duration {
	v := f.get(key)
	if v == nil {
		return def
	}
	d, err := ParseDuration(v.Value)
	if err != nil {
		f.dec.ds.Add(f.pos(key), Error, code, "%s: %v", f.join(key), err)
		return def
	}
	return d
}

// localLayouts are the forms of a date-time without offset, read in a schedule's time zone.
var localLayouts = []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05"}

// time reads an RFC 3339 date-time, or, with a time zone, a local date or date-time read in it
// (see Wall). zoned says the schedule names a time zone; loc is nil when that zone is unknown,
// which is reported on its own.
func (f fields) time(key string, zoned bool, loc *time.Location) time.Time {
	v := f.get(key)
	if v == nil {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, v.Value); err == nil {
		return t.UTC()
	}
	if zoned {
		for _, layout := range localLayouts {
			if t, err := time.Parse(layout, v.Value); err == nil {
				if loc == nil {
					return time.Time{}
				}
				return Wall(loc, t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second()).UTC()
			}
		}
	}
	if zoned {
		f.dec.ds.Add(f.pos(key), Error, CodeValue, "%s: %q is not a date: write a local date 2026-01-01, a local date and time 2026-01-01T08:00, or an RFC 3339 date-time", f.join(key), v.Value)
	} else {
		f.dec.ds.Add(f.pos(key), Error, CodeValue, "%s: %q is not an RFC 3339 date-time", f.join(key), v.Value)
	}
	return time.Time{}
}

func (f fields) items() []fields {
	if f.n == nil || f.n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]fields, len(f.n.Content))
	for i, c := range f.n.Content {
		p := f.dec.meta.fields.paths.step(pathStep{parent: f.path, index: i})
		f.dec.meta.fields.add(p, c.Line, c.Column)
		out[i] = fields{dec: f.dec, n: c, path: p}
	}
	return out
}

// relative resolves p against the folder of the document's file.
func (d *document) relative(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(d.path), filepath.FromSlash(p))
}

// decode builds d.obj from a document that passed the schema.
func decode(d *document, ds *Diagnostics) {
	meta := Meta{Name: d.name, Pos: d.pos, fields: fieldPositions{paths: d.l.paths}}
	dec := &decoder{d: d, ds: ds, meta: &meta}
	root := fields{dec: dec, n: d.root}
	root.get("apiVersion")
	root.get("kind")
	root.sub("metadata").get("name")
	spec := root.sub("spec")
	switch d.kind {
	case "Credential":
		c := &Credential{Identity: spec.str("identity")}
		sf := spec.sub("secretFrom")
		c.SecretFrom.Env = sf.str("env")
		if f := sf.str("file"); f != "" {
			c.SecretFrom.File = filepath.ToSlash(d.relative(f))
		}
		d.obj = c
	case "TargetGroup":
		g := &TargetGroup{}
		for _, m := range spec.sub("members").items() {
			mem := Member{
				Pos:               nodePos(d.file, m.n),
				Server:            m.str("server"),
				Database:          m.str("database"),
				ElasticPool:       m.str("elasticPool"),
				RefreshCredential: m.str("refreshCredential"),
				Membership:        m.str("membership"),
			}
			if mem.Membership == "" {
				mem.Membership = "Include"
			}
			g.Members = append(g.Members, mem)
		}
		d.obj = g
	case "Job":
		j := &Job{Description: spec.str("description"), Enabled: spec.boolean("enabled")}
		if spec.has("schedule") {
			j.Schedule = decodeSchedule(spec.sub("schedule"))
		}
		for _, sf := range spec.sub("steps").items() {
			j.Steps = append(j.Steps, decodeStep(d, sf))
		}
		d.obj = j
	case "Agent":
		a := &Agent{Authentication: spec.str("authentication")}
		if a.Authentication == "" {
			a.Authentication = AuthCredential
		}
		if l := spec.sub("lint"); l.n != nil && l.n.Kind == yaml.MappingNode {
			a.Lint = map[string]string{}
			for i := 0; i+1 < len(l.n.Content); i += 2 {
				code := l.n.Content[i].Value
				a.Lint[code] = l.str(code)
			}
		}
		d.obj = a
	}
	if o, ok := d.obj.(interface{ meta() *Meta }); ok {
		meta.fields.seal()
		*o.meta() = meta
	}
}

// decodeSchedule reads a job's schedule; the schema has checked that at and timeZone come together.
func decodeSchedule(f fields) *Schedule {
	s := &Schedule{TimeZone: f.str("timeZone")}
	typ, n, err := ParseInterval(f.str("every"))
	if err != nil {
		f.dec.ds.Add(f.pos("every"), Error, CodeInterval, "%s: %v", f.join("every"), err)
	}
	s.IntervalType, s.IntervalCount = typ, n
	if s.TimeZone != "" {
		if s.Location, err = LoadZone(s.TimeZone); err != nil {
			f.dec.ds.Add(f.pos("timeZone"), Error, CodeTimeZone, "%s: %v", f.join("timeZone"), err)
		}
	}
	if at := f.str("at"); at != "" {
		if s.At, err = ParseClock(at); err != nil {
			f.dec.ds.Add(f.pos("at"), Error, CodeAt, "%s: %v", f.join("at"), err)
		}
	}
	s.Start = f.time("start", s.TimeZone != "", s.Location)
	s.End = f.time("end", s.TimeZone != "", s.Location)
	return s
}

func decodeStep(d *document, f fields) *Step {
	s := &Step{
		Pos:            nodePos(d.file, f.n),
		Name:           f.str("name"),
		TargetGroup:    f.str("targetGroup"),
		Credential:     f.str("credential"),
		Timeout:        f.duration("timeout", DefaultTimeout, CodeTimeout),
		MaxParallelism: f.integer("maxParallelism", 0),
	}
	if v := f.get("command"); v != nil {
		s.Command = v.Value
		s.CommandSource = scalarSource(d, v)
	} else if cf := f.str("commandFile"); cf != "" {
		path := d.relative(cf)
		s.CommandFile = d.l.display(path)
		s.CommandSource = Source{File: s.CommandFile, Line: 1, Col: 1, Indent: 0}
		if isAbsolute(cf) {
			f.dec.ds.Add(f.pos("commandFile"), Error, CodeOutside, "%s: %s is an absolute path; name a file relative to this YAML file, inside the folder ejops reads", f.join("commandFile"), cf)
		} else {
			s.Command = readCommand(f, path, s.CommandSource)
		}
	}
	r := f.sub("retry")
	s.Retry = Retry{
		Attempts:          r.integer("attempts", DefaultRetryAttempts),
		InitialInterval:   r.duration("initialInterval", DefaultInitialInterval, CodeRetry),
		MaxInterval:       r.duration("maxInterval", DefaultMaxInterval, CodeRetry),
		BackoffMultiplier: r.float("backoffMultiplier", DefaultBackoffMultiplier),
	}
	if f.has("output") {
		o := f.sub("output")
		s.Output = &Output{
			Server:     o.str("server"),
			Database:   o.str("database"),
			Schema:     o.str("schema"),
			Table:      o.str("table"),
			Credential: o.str("credential"),
		}
		if s.Output.Schema == "" {
			s.Output.Schema = DefaultOutputSchema
		}
	}
	for _, i := range f.sub("lint").sub("ignore").items() {
		s.LintIgnore = append(s.LintIgnore, i.n.Value)
	}
	return s
}

// readCommand reads a commandFile, reporting a missing, oversized or non-UTF-8 file and one outside
// the folder ejops reads, and checks it for inline secrets and NUL characters.
func readCommand(f fields, path string, src Source) string {
	pos := f.pos("commandFile")
	data, err := f.dec.d.tree.read(path, MaxCommandBytes*2)
	switch {
	case errors.Is(err, errOutside):
		f.dec.ds.Add(pos, Error, CodeOutside, "%s", f.dec.d.l.outside(f.join("commandFile")+": "+f.str("commandFile"), f.dec.d.tree))
		return ""
	case err != nil:
		f.dec.ds.Add(pos, Error, CodeCommandFile, "%s: cannot read %s: %s", f.join("commandFile"), src.File, ioReason(err))
		return ""
	case !utf8.Valid(data):
		f.dec.ds.Add(invalidUTF8Pos(src.File, data), Error, CodeEncoding, "command file is not valid UTF-8")
		return ""
	}
	cmd := strings.TrimPrefix(string(data), "\ufeff")
	checkCommand(f.dec.ds, cmd, src)
	return cmd
}

// checkCommand reports a secret written inline in a step's T-SQL and a NUL character in it, which
// terminals and review tools stop at, hiding what follows.
func checkCommand(ds *Diagnostics, cmd string, src Source) {
	if loc := tsqlSecret.FindStringIndex(cmd); loc != nil {
		l, c := offsetLineCol(cmd, loc[0])
		ds.Add(src.Map(l, c), Error, CodeSecret, "secret written inline in the step's T-SQL (%s); create credentials from a Credential spec with secretFrom", strings.TrimSpace(cmd[loc[0]:loc[1]-1]))
	}
	if i := strings.IndexByte(cmd, 0); i >= 0 {
		l, c := offsetLineCol(cmd, i)
		ds.Add(src.Map(l, c), Error, CodeNUL, "the step's T-SQL holds a NUL character (U+0000); remove it")
	}
}
