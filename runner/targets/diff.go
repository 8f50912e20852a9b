package targets

import (
	"strings"

	"github.com/ejops/ejops/runner"
)

// Change is what changed in a group's databases since its last recorded resolution.
type Change struct {
	Group   string     `json:"targetGroup"`
	First   bool       `json:"first,omitempty"` // no resolution was recorded before
	Added   []Database `json:"added"`
	Removed []Database `json:"removed"`
}

// Compare returns the databases in now and not in before, and those in before and not in now,
// each sorted.
func Compare(before, now []Database) (added, removed []Database) {
	in := func(ds []Database) map[string]bool {
		m := make(map[string]bool, len(ds))
		for _, d := range ds {
			m[dbKey(d)] = true
		}
		return m
	}
	had, has := in(before), in(now)
	added, removed = []Database{}, []Database{}
	for _, d := range now {
		if !had[dbKey(d)] {
			added = append(added, d)
		}
	}
	for _, d := range before {
		if !has[dbKey(d)] {
			removed = append(removed, d)
		}
	}
	SortDatabases(added)
	SortDatabases(removed)
	return added, removed
}

// Reach sums up what a set of resolved groups reaches: the databases of all, once each, and their
// servers and elastic pools; the problems of members that could not be enumerated.
func Reach(groups []*Group) *runner.Reach {
	r := &runner.Reach{Databases: []Database{}}
	seen := map[string]int{}
	servers, pools := map[string]bool{}, map[string]bool{}
	for _, g := range groups {
		for _, d := range g.Databases {
			r.Databases = addDatabase(r.Databases, seen, d)
		}
		for _, p := range g.Problems {
			r.Problems = append(r.Problems, "target group "+g.Name+": "+p.String())
		}
	}
	for _, d := range r.Databases {
		servers[ServerKey(d.Server)] = true
		if d.ElasticPool != "" {
			pools[ServerKey(d.Server)+"/"+strings.ToLower(d.ElasticPool)] = true
		}
	}
	SortDatabases(r.Databases)
	r.Servers, r.Pools = len(servers), len(pools)
	return r
}

// addDatabase appends d to list unless a database of the same server and name is there already
// (seen maps dbKey to its index), in which case it only fills in a pool the first one lacked.
func addDatabase(list []Database, seen map[string]int, d Database) []Database {
	k := dbKey(d)
	if i, ok := seen[k]; ok {
		if list[i].ElasticPool == "" {
			list[i].ElasticPool = d.ElasticPool
		}
		return list
	}
	seen[k] = len(list)
	return append(list, d)
}
