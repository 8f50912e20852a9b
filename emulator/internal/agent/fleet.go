package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Fleet is the simulated estate the agent runs jobs on: logical servers with standalone databases
// and elastic pools. A Fleet must not be changed after it was given to an Agent.
type Fleet struct {
	DefaultDuration time.Duration // duration of an attempt on a database that sets none
	Servers         []Server
	// Authentication is how the agent connects to its targets: AuthCredential or
	// AuthManagedIdentity; "" is AuthCredential, the default of the service.
	Authentication string
	// Identity is the database user name of the agent's managed identity, matched against
	// Database.Logins in AuthManagedIdentity mode.
	Identity string
	// Tier is the agent's service tier (JA100, JA200, JA400 or JA800); "" sets no limit on
	// concurrent target connections.
	Tier string
}

// tierCaps are the concurrent target connections of each agent tier: [D] "Elastic jobs in Azure
// SQL Database", section "Concurrent capacity tiers"
// (https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-overview#concurrent-capacity-tiers).
// [I] Attempts beyond the cap wait, Created or WaitingForRetry, until a connection frees.
var tierCaps = map[string]int{"JA100": 100, "JA200": 200, "JA400": 400, "JA800": 800}

// Server is a logical server, named as target group members name it
// (for example tenants-1.database.windows.net).
type Server struct {
	Name         string
	Databases    []Database // standalone databases
	ElasticPools []ElasticPool
	// Unreachable makes the server accept no logins, as behind a firewall that drops packets:
	// attempts on its databases and enumerations of it fail with NetworkError.
	Unreachable bool
}

// ElasticPool is an elastic pool and its databases.
type ElasticPool struct {
	Name      string
	Databases []Database
}

// Database is a simulated database and how attempts on it behave.
type Database struct {
	Name     string
	Duration time.Duration // each attempt's duration; 0 = the fleet's default
	Failure  *Failure      // nil = every attempt succeeds
	Logins   []string      // database users that exist; nil = every user exists
	Tables   []Table       // tables that exist in the database
	Execute  bool          // attempts run the step's T-SQL in the emulator's engine
}

// Table is a table a fleet database declares.
type Table struct {
	Schema, Name string     // Schema defaults to dbo
	Columns      []string   // column names, in order
	Indexes      [][]string // each index's key columns
}

// Failure is an injected error: the first Attempts attempts of each target execution fail, or
// every attempt when Always is set.
type Failure struct {
	Message  string
	Number   int32 // SQL Server error number; default 50000
	Attempts int
	Always   bool
}

// fails reports whether attempt n (1-based) fails.
func (f *Failure) fails(n int64) bool {
	return f != nil && (f.Always || n <= int64(f.Attempts))
}

// FleetError is one problem in a fleet file, at a position.
type FleetError struct {
	Path      string
	Line, Col int
	Msg       string
}

func (e *FleetError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
}

// LoadFleet reads and checks a fleet file. All problems are reported, each as a *FleetError
// naming the file, line and column.
func LoadFleet(path string) (*Fleet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load fleet: %w", err)
	}
	return ParseFleet(path, data)
}

// ParseFleet parses fleet YAML; name is used in error positions.
func ParseFleet(name string, data []byte) (*Fleet, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Fleet{}, nil
		}
		return nil, &FleetError{Path: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &FleetError{Path: name, Line: extra.Line, Col: extra.Column, Msg: "a fleet file holds one YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, &FleetError{Path: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	p := &fleetParser{name: name}
	f := p.fleet(&doc)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return f, nil
}

type fleetParser struct {
	name string
	errs []error
}

func (p *fleetParser) errorf(n *yaml.Node, format string, args ...any) {
	if len(p.errs) >= 100 {
		return
	}
	p.errs = append(p.errs, &FleetError{Path: p.name, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// fields walks a mapping, calling set for each known key and reporting unknown and repeated keys.
func (p *fleetParser) fields(n *yaml.Node, what string, known map[string]bool, set func(key string, v *yaml.Node)) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping", what)
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		switch {
		case k.Kind != yaml.ScalarNode:
			p.errorf(k, "%s keys must be strings", what)
		case !known[key]:
			p.errorf(k, "unknown field %q in %s", key, what)
		case seen[key]:
			p.errorf(k, "field %q repeated in %s", key, what)
		default:
			seen[key] = true
			set(key, v)
		}
	}
	return true
}

// resolve follows aliases (bounded, so alias loops cannot hang the parser).
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; i < 16 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func (p *fleetParser) str(n *yaml.Node, what string, maxLen int) string {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s must be a string", what)
		return ""
	}
	s := strings.TrimSpace(n.Value)
	if s == "" {
		p.errorf(n, "%s must not be empty", what)
	} else if len([]rune(s)) > maxLen {
		p.errorf(n, "%s is longer than %d characters", what, maxLen)
	}
	return s
}

func (p *fleetParser) duration(n *yaml.Node, what string) time.Duration {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s must be a duration such as 30s or 2m", what)
		return 0
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d < 0 {
		p.errorf(n, "%s must be a non-negative duration such as 30s or 2m, not %q", what, n.Value)
		return 0
	}
	return d
}

func (p *fleetParser) integer(n *yaml.Node, what string, lo, hi int64) int64 {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		p.errorf(n, "%s must be an integer", what)
		return 0
	}
	v, err := strconv.ParseInt(n.Value, 0, 64)
	if err != nil || v < lo || v > hi {
		p.errorf(n, "%s must be between %d and %d", what, lo, hi)
		return 0
	}
	return v
}

func (p *fleetParser) boolean(n *yaml.Node, what string) bool {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.errorf(n, "%s must be true or false", what)
		return false
	}
	b, _ := strconv.ParseBool(n.Value)
	return b
}

func (p *fleetParser) seq(n *yaml.Node, what string, each func(*yaml.Node)) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list", what)
		return
	}
	for _, c := range n.Content {
		each(c)
	}
}

func (p *fleetParser) fleet(doc *yaml.Node) *Fleet {
	f := &Fleet{}
	root := doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return f
		}
		root = doc.Content[0]
	}
	if r := resolve(root); r.Kind == yaml.ScalarNode && r.Tag == "!!null" {
		return f
	}
	servers := map[string]*yaml.Node{}
	p.fields(root, "the fleet", map[string]bool{"defaults": true, "servers": true, "authentication": true, "identity": true, "tier": true}, func(key string, v *yaml.Node) {
		switch key {
		case "tier":
			if f.Tier = p.str(v, "tier", 16); f.Tier != "" && tierCaps[f.Tier] == 0 {
				p.errorf(v, "tier must be JA100, JA200, JA400 or JA800, not %q", f.Tier)
			}
		case "authentication":
			f.Authentication = p.str(v, "authentication", 64)
			if f.Authentication != "" && f.Authentication != AuthCredential && f.Authentication != AuthManagedIdentity {
				p.errorf(v, "authentication must be %s or %s, not %q", AuthCredential, AuthManagedIdentity, f.Authentication)
			}
		case "identity":
			f.Identity = p.str(v, "identity", 128)
		case "defaults":
			p.fields(v, "defaults", map[string]bool{"duration": true}, func(_ string, v *yaml.Node) {
				f.DefaultDuration = p.duration(v, "defaults.duration")
			})
		case "servers":
			p.seq(v, "servers", func(n *yaml.Node) {
				s := p.server(n)
				if s.Name == "" {
					return
				}
				k := serverKey(s.Name)
				if first, dup := servers[k]; dup {
					p.errorf(n, "server %q is declared twice (first at line %d)", s.Name, first.Line)
					return
				}
				servers[k] = n
				f.Servers = append(f.Servers, s)
			})
		}
	})
	return f
}

func (p *fleetParser) server(n *yaml.Node) Server {
	var s Server
	dbs := map[string]*yaml.Node{}
	pools := map[string]*yaml.Node{}
	addDB := func(d Database, at *yaml.Node) bool {
		if d.Name == "" {
			return false
		}
		k := strings.ToLower(d.Name)
		if first, dup := dbs[k]; dup {
			p.errorf(at, "database %q is declared twice on server %q (first at line %d)", d.Name, s.Name, first.Line)
			return false
		}
		dbs[k] = at
		return true
	}
	var dbNodes, poolNodes *yaml.Node
	ok := p.fields(n, "a server", map[string]bool{"name": true, "databases": true, "elasticPools": true, "unreachable": true}, func(key string, v *yaml.Node) {
		switch key {
		case "name":
			s.Name = p.str(v, "server name", 256)
		case "unreachable":
			s.Unreachable = p.boolean(v, "unreachable")
		case "databases":
			dbNodes = v
		case "elasticPools":
			poolNodes = v
		}
	})
	if !ok {
		return Server{}
	}
	if s.Name == "" && n.Kind == yaml.MappingNode {
		p.errorf(n, "a server needs a name")
	}
	if dbNodes != nil {
		p.seq(dbNodes, "databases", func(n *yaml.Node) {
			if d := p.database(n); addDB(d, n) {
				s.Databases = append(s.Databases, d)
			}
		})
	}
	if poolNodes != nil {
		p.seq(poolNodes, "elasticPools", func(n *yaml.Node) {
			var ep ElasticPool
			var pdbs *yaml.Node
			if !p.fields(n, "an elastic pool", map[string]bool{"name": true, "databases": true}, func(key string, v *yaml.Node) {
				if key == "name" {
					ep.Name = p.str(v, "elastic pool name", 128)
				} else {
					pdbs = v
				}
			}) {
				return
			}
			if ep.Name == "" {
				p.errorf(n, "an elastic pool needs a name")
				return
			}
			if first, dup := pools[strings.ToLower(ep.Name)]; dup {
				p.errorf(n, "elastic pool %q is declared twice on server %q (first at line %d)", ep.Name, s.Name, first.Line)
				return
			}
			pools[strings.ToLower(ep.Name)] = n
			if pdbs != nil {
				p.seq(pdbs, "databases", func(n *yaml.Node) {
					if d := p.database(n); addDB(d, n) {
						ep.Databases = append(ep.Databases, d)
					}
				})
			}
			s.ElasticPools = append(s.ElasticPools, ep)
		})
	}
	return s
}

func (p *fleetParser) database(n *yaml.Node) Database {
	var d Database
	if r := resolve(n); r.Kind == yaml.ScalarNode && r.Tag == "!!str" {
		// A bare name is a database with default behaviour.
		d.Name = p.str(r, "database name", 128)
		return d
	}
	known := map[string]bool{"name": true, "duration": true, "failure": true, "logins": true, "tables": true, "execute": true}
	if !p.fields(n, "a database", known, func(key string, v *yaml.Node) {
		switch key {
		case "execute":
			d.Execute = p.boolean(v, "execute")
		case "tables":
			d.Tables = p.tables(v)
		case "logins":
			d.Logins = []string{}
			p.seq(v, "logins", func(n *yaml.Node) {
				if l := p.str(n, "login name", 128); l != "" {
					d.Logins = append(d.Logins, l)
				}
			})
		case "name":
			d.Name = p.str(v, "database name", 128)
		case "duration":
			d.Duration = p.duration(v, "duration")
		case "failure":
			d.Failure = p.failure(v)
		}
	}) {
		return Database{}
	}
	if d.Name == "" {
		p.errorf(n, "a database needs a name")
	}
	return d
}

// tables parses a database's tables: each a name (schema.table, dbo by default), its columns and
// its indexes over those columns.
func (p *fleetParser) tables(n *yaml.Node) []Table {
	var out []Table
	seen := map[string]bool{}
	p.seq(n, "tables", func(n *yaml.Node) {
		var t Table
		var at *yaml.Node
		cols := map[string]bool{}
		if !p.fields(n, "a table", map[string]bool{"name": true, "columns": true, "indexes": true}, func(key string, v *yaml.Node) {
			switch key {
			case "name":
				t.Name = p.str(v, "table name", 257)
				if schema, name, ok := strings.Cut(t.Name, "."); ok {
					t.Schema, t.Name = schema, name
				}
			case "columns":
				p.seq(v, "columns", func(n *yaml.Node) {
					if c := p.str(n, "column name", 128); c != "" {
						if cols[strings.ToLower(c)] {
							p.errorf(n, "column %q is listed twice", c)
						}
						cols[strings.ToLower(c)] = true
						t.Columns = append(t.Columns, c)
					}
				})
			case "indexes":
				at = v
			}
		}) {
			return
		}
		if t.Schema == "" {
			t.Schema = "dbo"
		}
		switch {
		case t.Name == "":
			p.errorf(n, "a table needs a name")
			return
		case len(t.Columns) == 0:
			p.errorf(n, "table %q needs columns", t.Name)
			return
		case seen[strings.ToLower(t.Schema+"."+t.Name)]:
			p.errorf(n, "table %s.%s is declared twice", t.Schema, t.Name)
			return
		}
		seen[strings.ToLower(t.Schema+"."+t.Name)] = true
		if at != nil {
			p.seq(at, "indexes", func(n *yaml.Node) {
				var ix []string
				p.seq(n, "an index", func(n *yaml.Node) {
					c := p.str(n, "index column", 128)
					if c != "" && !cols[strings.ToLower(c)] {
						p.errorf(n, "index column %q is not a column of table %s.%s", c, t.Schema, t.Name)
					}
					ix = append(ix, c)
				})
				if len(ix) == 0 {
					p.errorf(n, "an index needs columns")
				}
				t.Indexes = append(t.Indexes, ix)
			})
		}
		out = append(out, t)
	})
	return out
}

func (p *fleetParser) failure(n *yaml.Node) *Failure {
	f := &Failure{Number: 50000}
	var attempts, always *yaml.Node
	if !p.fields(n, "a failure", map[string]bool{"message": true, "number": true, "attempts": true, "always": true}, func(key string, v *yaml.Node) {
		switch key {
		case "message":
			f.Message = p.str(v, "failure message", 4000)
		case "number":
			f.Number = int32(p.integer(v, "failure number", 1, math.MaxInt32))
		case "attempts":
			attempts = v
			f.Attempts = int(p.integer(v, "failure attempts", 1, math.MaxInt32))
		case "always":
			always = v
			f.Always = p.boolean(v, "failure always")
		}
	}) {
		return nil
	}
	switch {
	case f.Message == "" && !hasKey(n, "message"):
		p.errorf(n, "a failure needs a message")
	case attempts == nil && always == nil:
		p.errorf(n, "a failure needs attempts (how many attempts fail) or always: true")
	case attempts != nil && always != nil:
		p.errorf(always, "a failure takes attempts or always, not both")
	case always != nil && !f.Always:
		p.errorf(always, "always: false fails nothing; give attempts instead")
	}
	return f
}

func hasKey(n *yaml.Node, key string) bool {
	n = resolve(n)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// serverKey is the comparison form of a server name: case-insensitive, with or without the
// .database.windows.net suffix.
func serverKey(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".database.windows.net")
}

// SameServer reports whether two server names name the same server: case-insensitive, with or
// without the .database.windows.net suffix.
func SameServer(a, b string) bool { return serverKey(a) == serverKey(b) }

// Server returns the fleet's server named name (case-insensitive, with or without the
// .database.windows.net suffix), or nil; f may be nil.
func (f *Fleet) Server(name string) *Server {
	if f == nil {
		return nil
	}
	for i := range f.Servers {
		if SameServer(f.Servers[i].Name, name) {
			return &f.Servers[i]
		}
	}
	return nil
}

// Each calls fn for every database of the server, standalone databases first, then each elastic
// pool's; pool is "" for a standalone database.
func (s *Server) Each(fn func(pool string, d Database)) {
	for _, d := range s.Databases {
		fn("", d)
	}
	for _, p := range s.ElasticPools {
		for _, d := range p.Databases {
			fn(p.Name, d)
		}
	}
}

// Database returns the server's database named name (case-insensitive) and its elastic pool
// ("" for a standalone database).
func (s *Server) Database(name string) (d Database, pool string, ok bool) {
	s.Each(func(p string, db Database) {
		if !ok && strings.EqualFold(db.Name, name) {
			d, pool, ok = db, p, true
		}
	})
	return d, pool, ok
}

// HasLogin reports whether user may log in to the database: it is one of Logins
// (case-insensitive, as user names are under the default collation), or Logins is nil.
func (d Database) HasLogin(user string) bool {
	return d.Logins == nil || hasLogin(d.Logins, user)
}

// fleetDB is one database of the fleet with its place.
type fleetDB struct {
	Server, Pool string // as declared
	Database
}

// fleetIndex answers the agent's lookups in a fleet.
type fleetIndex struct {
	servers  map[string]*serverIndex
	def      time.Duration
	auth     string // Fleet.Authentication, AuthCredential when unset
	identity string // Fleet.Identity
	cap      int    // concurrent target connections of Fleet.Tier; 0 = no limit
}

type serverIndex struct {
	name        string
	unreachable bool
	all         []fleetDB            // every database in declaration order
	dbs         map[string]fleetDB   // by lower-case name
	pools       map[string][]fleetDB // by lower-case pool name
	pool        map[string]string    // lower-case pool name → declared name
}

func indexFleet(f *Fleet) *fleetIndex {
	if f == nil {
		return nil
	}
	ix := &fleetIndex{servers: map[string]*serverIndex{}, def: f.DefaultDuration, auth: authMode(f.Authentication), identity: f.Identity, cap: tierCaps[f.Tier]}
	for _, s := range f.Servers {
		si := &serverIndex{name: s.Name, unreachable: s.Unreachable, dbs: map[string]fleetDB{}, pools: map[string][]fleetDB{}, pool: map[string]string{}}
		add := func(pool string, d Database) {
			fd := fleetDB{Server: s.Name, Pool: pool, Database: d}
			si.all = append(si.all, fd)
			si.dbs[strings.ToLower(d.Name)] = fd
		}
		for _, d := range s.Databases {
			add("", d)
		}
		for _, p := range s.ElasticPools {
			k := strings.ToLower(p.Name)
			si.pool[k] = p.Name
			si.pools[k] = si.pools[k][:0:0]
			for _, d := range p.Databases {
				add(p.Name, d)
				si.pools[k] = append(si.pools[k], si.dbs[strings.ToLower(d.Name)])
			}
		}
		ix.servers[serverKey(s.Name)] = si
	}
	return ix
}

// unreachable reports whether the fleet declares server unreachable; ix may be nil.
func (ix *fleetIndex) unreachable(server string) bool {
	if ix == nil {
		return false
	}
	si := ix.servers[serverKey(server)]
	return si != nil && si.unreachable
}

func (ix *fleetIndex) duration(d Database) time.Duration {
	if d.Duration > 0 || ix == nil {
		return d.Duration
	}
	return ix.def
}
