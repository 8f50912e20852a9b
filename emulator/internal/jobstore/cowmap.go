package jobstore

import (
	"hash/maphash"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

const nShards = 256

var seed = maphash.MakeSeed()

// cowMap is a map split into shards that a working copy clones one at a time on first write, so a
// write costs O(n/256) instead of O(n). A committed map is never modified.
type cowMap[K comparable, V any] struct {
	shards *[nShards]map[K]V
	owned  *[nShards]bool // shards this working copy owns; nil when it owns none (or is committed)
	n      int
}

func shardOf[K comparable](k K) int {
	switch x := any(k).(type) {
	case sqlval.UUID:
		return int(x[15] ^ x[3])
	case int64:
		return int(uint64(x) % nShards)
	case string:
		return int(maphash.String(seed, x) % nShards)
	}
	return int(maphash.Comparable(seed, k) % nShards)
}

func (m *cowMap[K, V]) get(k K) (V, bool) {
	var zero V
	if m.shards == nil {
		return zero, false
	}
	v, ok := m.shards[shardOf(k)][k]
	return v, ok
}

func (m *cowMap[K, V]) len() int { return m.n }

// shard returns a writable shard for k.
func (m *cowMap[K, V]) shard(k K) map[K]V {
	h := shardOf(k)
	if m.owned == nil {
		var sh [nShards]map[K]V
		if m.shards != nil {
			sh = *m.shards
		}
		m.shards = &sh
		m.owned = new([nShards]bool)
	}
	if !m.owned[h] {
		old := m.shards[h]
		c := make(map[K]V, len(old)+1)
		for k, v := range old {
			c[k] = v
		}
		m.shards[h] = c
		m.owned[h] = true
	}
	return m.shards[h]
}

func (m *cowMap[K, V]) put(k K, v V) {
	sh := m.shard(k)
	if _, ok := sh[k]; !ok {
		m.n++
	}
	sh[k] = v
}

func (m *cowMap[K, V]) del(k K) {
	if _, ok := m.get(k); !ok {
		return
	}
	delete(m.shard(k), k)
	m.n--
}

// each calls fn for every entry until fn returns false.
func (m *cowMap[K, V]) each(fn func(K, V) bool) {
	if m.shards == nil {
		return
	}
	for _, sh := range m.shards {
		for k, v := range sh {
			if !fn(k, v) {
				return
			}
		}
	}
}

// freeze marks the map committed: later writes clone again.
func (m *cowMap[K, V]) freeze() { m.owned = nil }

// plain returns the entries as an ordinary map (for persistence).
func (m *cowMap[K, V]) plain() map[K]V {
	out := make(map[K]V, m.n)
	m.each(func(k K, v V) bool { out[k] = v; return true })
	return out
}

func cowFrom[K comparable, V any](src map[K]V) cowMap[K, V] {
	var m cowMap[K, V]
	for k, v := range src {
		m.put(k, v)
	}
	m.freeze()
	return m
}
