package tds

import (
	"maps"
	"sort"
	"sync"
	"time"
)

// Stats counts what clients asked for. A request is one round trip (a SQL batch, an RPC message or
// a transaction manager request); one RPC message may carry several procedure calls.
type Stats struct {
	Requests     int64
	Batches      int64
	Transactions int64            // transaction manager requests
	Attentions   int64            // ATTENTION (cancel) messages
	RPCs         map[string]int64 // procedure calls by name, e.g. "sp_executesql" or "jobs.sp_add_job"
}

func (s Stats) clone() Stats {
	s.RPCs = maps.Clone(s.RPCs)
	return s
}

// ConnStats is one live connection's counters.
type ConnStats struct {
	ID     uint64
	Remote string
	Stats
}

// ServerStats is a snapshot of the server's counters: the total since the last reset (closed
// connections included) and each live connection's counters.
type ServerStats struct {
	Total Stats
	Conns []ConnStats // by ID
}

type statsRegistry struct {
	mu    sync.Mutex
	total Stats
	conns map[*conn]*Stats
}

func (r *statsRegistry) add(c *conn) {
	r.mu.Lock()
	r.conns[c] = &Stats{}
	r.mu.Unlock()
}

func (r *statsRegistry) remove(c *conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

// count applies f to the connection's counters and to the total.
func (r *statsRegistry) count(c *conn, f func(*Stats)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.conns[c]; s != nil {
		f(s)
	}
	f(&r.total)
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() ServerStats {
	r := &s.stats
	r.mu.Lock()
	defer r.mu.Unlock()
	out := ServerStats{Total: r.total.clone()}
	for c, st := range r.conns {
		out.Conns = append(out.Conns, ConnStats{ID: c.id, Remote: c.nc.RemoteAddr().String(), Stats: st.clone()})
	}
	sort.Slice(out.Conns, func(i, j int) bool { return out.Conns[i].ID < out.Conns[j].ID })
	return out
}

// ResetStats zeroes the total and every live connection's counters.
func (s *Server) ResetStats() {
	r := &s.stats
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total = Stats{}
	for _, st := range r.conns {
		*st = Stats{}
	}
}

// faults holds injected failures; never reachable from the network.
type faults struct {
	mu        sync.Mutex
	dropAfter int // requests still served before a drop; -1 when disarmed
	wait      time.Duration
}

// DropAfter arms a one-shot fault: after the server has served n more requests (on any
// connection), the connection that sends the next request is closed as soon as that request
// arrives, without running it and without a reply. n < 0 disarms the fault.
func (s *Server) DropAfter(n int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.dropAfter = max(n, -1)
}

// SetDelay delays every reply to a request by d (0 disables). An ATTENTION cuts the delay short.
func (s *Server) SetDelay(d time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.wait = max(d, 0)
}

func (f *faults) shouldDrop() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.dropAfter < 0:
		return false
	case f.dropAfter > 0:
		f.dropAfter--
		return false
	}
	f.dropAfter = -1
	return true
}

func (f *faults) delay() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wait
}
