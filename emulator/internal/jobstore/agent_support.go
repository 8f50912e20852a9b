package jobstore

import "sort"

// ActiveExecutions returns a copy of the committed execution rows whose lifecycle is active,
// ordered by Key. Unlike Executions it allocates only for the rows it returns, so an agent can
// poll it cheaply over a long history.
func (db *DB) ActiveExecutions() []Execution {
	var out []Execution
	db.snapshot().Execs.each(func(_ int64, e *Execution) bool {
		if IsActive(e.Lifecycle) {
			out = append(out, *e)
		}
		return true
	})
	sort.Slice(out, func(a, b int) bool { return out[a].Key < out[b].Key })
	return out
}
