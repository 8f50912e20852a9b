package targets

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

// Database is a database a target group resolves to.
type Database = jobdb.TargetDatabase

// Stages of a failure, in the order a connection goes through them.
const (
	StageCredential = "credential" // the credential's secret is not available here
	StageReachable  = "reachable"  // TCP and prelogin: the server answers
	StageLogin      = "login"      // the login and the database (Msg 18456, Msg 4060)
	StageConnect    = "connect"    // the user holds CONNECT
	StageList       = "list"       // listing the server's or pool's databases
	StageOutput     = "output"     // the output schema and table
)

// Failure is why a member cannot be enumerated or a database would fail: the stage it fails at
// and a message that holds no secret.
type Failure struct {
	Stage   string `json:"stage"`
	Message string `json:"message"`
}

func (f *Failure) Error() string { return f.Stage + ": " + f.Message }

// Servers is what resolution and the check ask of target servers; Client asks them over TDS.
type Servers interface {
	// ListDatabases lists the databases of server but master, or those of its elastic pool when
	// pool is not empty, connected to master as login, each with its elastic pool.
	ListDatabases(ctx context.Context, server, pool string, login Login) ([]Listed, *Failure)
	// CheckDatabase connects to a database as login and checks that the user may connect.
	CheckDatabase(ctx context.Context, server, database string, login Login) *Failure
	// CheckOutput connects to an output's database as login and checks its schema and table.
	CheckOutput(ctx context.Context, out runner.DesiredOutput, login Login) *Failure
}

// Listed is a database as a server lists it: its name and its elastic pool ("" when standalone).
type Listed struct {
	Name        string
	ElasticPool string
}

// Resolver resolves target groups and checks jobs against target servers.
type Resolver struct {
	Servers  Servers
	Auth     *Auth
	Parallel int // connections at once; 0 or less: 1
}

// Member names a target group member in a problem.
type Member struct {
	Membership  string `json:"membership"`
	Type        string `json:"type"`
	Server      string `json:"server"`
	ElasticPool string `json:"elasticPool,omitempty"`
}

func (m Member) String() string {
	s := m.Membership + " " + m.Type + " " + m.Server
	if m.ElasticPool != "" {
		s += " pool " + m.ElasticPool
	}
	return s
}

// MemberProblem is a member that could not be enumerated (Failure set) or was not checked
// (NotChecked set).
type MemberProblem struct {
	Member
	Failure    *Failure `json:"failure,omitempty"`
	NotChecked string   `json:"notChecked,omitempty"`
}

func (p MemberProblem) String() string {
	if p.Failure != nil {
		return fmt.Sprintf("%s: %s: %s", p.Member, p.Failure.Stage, p.Failure.Message)
	}
	return fmt.Sprintf("%s: %s", p.Member, p.NotChecked)
}

// Group is a target group resolved into databases, sorted by server and name.
type Group struct {
	Name      string          `json:"name"`
	Databases []Database      `json:"databases"`
	Problems  []MemberProblem `json:"problems"`
}

// Failed reports whether a member of the group could not be enumerated.
func (g *Group) Failed() bool {
	for _, p := range g.Problems {
		if p.Failure != nil {
			return true
		}
	}
	return false
}

// Complete reports whether every member was resolved: the databases are all of the group's.
func (g *Group) Complete() bool { return len(g.Problems) == 0 }

// enumKey is one listing of a server or pool as one credential: members that share it share the
// connection.
type enumKey struct{ server, pool, credential string }

type enumResult struct {
	names   []Listed
	failure *Failure
	skip    string // not checked, and why
}

// Resolve resolves groups: the Include members expanded, then the Exclude members removed, with
// each distinct server or pool listed once whatever the number of members and groups naming it.
// A member that cannot be enumerated is a problem of its group; the other members still resolve.
func (r *Resolver) Resolve(ctx context.Context, groups []runner.DesiredTargetGroup) []Group {
	// listing is one connection to make: the server and pool as a member names them (the server is
	// dialled by that name) and the login, resolved here, before the connections run in parallel.
	type listing struct {
		key          enumKey
		server, pool string
		login        Login
	}
	enums := map[enumKey]*enumResult{}
	var work []listing
	for _, g := range groups {
		for _, m := range g.Members {
			k, ok := keyOf(m)
			if !ok || enums[k] != nil {
				continue
			}
			res := &enumResult{}
			enums[k] = res
			login, f, skip := r.Auth.login(m.RefreshCredential)
			if f != nil || skip != "" {
				res.failure, res.skip = f, skip
				continue
			}
			pool := ""
			if m.Type == "SqlElasticPool" {
				pool = m.ElasticPool
			}
			work = append(work, listing{key: k, server: m.Server, pool: pool, login: login})
		}
	}
	var mu sync.Mutex
	each(ctx, len(work), r.Parallel, func(ctx context.Context, i int) {
		w := work[i]
		names, f := r.Servers.ListDatabases(ctx, w.server, w.pool, w.login)
		mu.Lock()
		enums[w.key].names, enums[w.key].failure = names, f
		mu.Unlock()
	})
	out := make([]Group, len(groups))
	for i, g := range groups {
		out[i] = expand(g, enums)
	}
	return out
}

// keyOf returns the listing a member needs; SqlDatabase members and Exclude SqlServer members need
// none (the agent excludes a server's databases by their server name).
func keyOf(m runner.DesiredMember) (enumKey, bool) {
	switch {
	case m.Type == "SqlDatabase":
		return enumKey{}, false
	case m.Type == "SqlServer" && m.Membership == "Exclude":
		return enumKey{}, false
	}
	pool := ""
	if m.Type == "SqlElasticPool" {
		pool = m.ElasticPool
	}
	return enumKey{server: ServerKey(m.Server), pool: strings.ToLower(pool), credential: strings.ToLower(m.RefreshCredential)}, true
}

// expand builds one group from the listings.
func expand(g runner.DesiredTargetGroup, enums map[enumKey]*enumResult) Group {
	out := Group{Name: g.Name, Databases: []Database{}, Problems: []MemberProblem{}}
	seen := map[string]int{}
	add := func(d Database) { out.Databases = addDatabase(out.Databases, seen, d) }
	removeDB, removeServer := map[string]bool{}, map[string]bool{}
	for _, m := range g.Members {
		var names []Listed
		if k, ok := keyOf(m); ok {
			res := enums[k]
			if res.failure != nil || res.skip != "" {
				out.Problems = append(out.Problems, MemberProblem{Member: memberOf(m), Failure: res.failure, NotChecked: res.skip})
				continue
			}
			names = res.names
		}
		include := m.Membership != "Exclude"
		switch {
		case m.Type == "SqlDatabase" && include:
			add(Database{Server: m.Server, Database: m.Database})
		case m.Type == "SqlDatabase":
			removeDB[dbKey(Database{Server: m.Server, Database: m.Database})] = true
		case m.Type == "SqlServer" && !include:
			removeServer[ServerKey(m.Server)] = true
		default:
			for _, n := range names {
				d := Database{Server: m.Server, Database: n.Name, ElasticPool: n.ElasticPool}
				if include {
					add(d)
				} else {
					removeDB[dbKey(d)] = true
				}
			}
		}
	}
	kept := out.Databases[:0]
	for _, d := range out.Databases {
		if !removeDB[dbKey(d)] && !removeServer[ServerKey(d.Server)] && !strings.EqualFold(d.Database, "master") {
			kept = append(kept, d)
		}
	}
	out.Databases = kept
	SortDatabases(out.Databases)
	return out
}

func memberOf(m runner.DesiredMember) Member {
	return Member{Membership: m.Membership, Type: m.Type, Server: m.Server, ElasticPool: m.ElasticPool}
}

// dbKey is the key of a database, unique across servers.
func dbKey(d Database) string { return ServerKey(d.Server) + "/" + strings.ToLower(d.Database) }

// SortDatabases sorts databases by server and name, as the job database compares names.
func SortDatabases(ds []Database) {
	sort.Slice(ds, func(a, b int) bool {
		ka, kb := ServerKey(ds[a].Server), ServerKey(ds[b].Server)
		if ka != kb {
			return ka < kb
		}
		return strings.ToLower(ds[a].Database) < strings.ToLower(ds[b].Database)
	})
}

// each runs fn for 0..n-1, at most parallel at once, and returns when all have returned.
func each(ctx context.Context, n, parallel int, fn func(ctx context.Context, i int)) {
	if parallel < 1 {
		parallel = 1
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(ctx, i)
		}()
	}
	wg.Wait()
}
