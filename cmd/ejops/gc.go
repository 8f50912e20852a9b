package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// specHeadroom is the garbage that validate and plan let the heap gather beyond its live size
// between two collections.
const specHeadroom = 12 << 20

// GC percents between which gcHeadroom keeps the collector.
const (
	minGCPercent = 50
	maxGCPercent = 400
)

// gcHeadroom sizes the garbage collector to the work of a short command that allocates a lot
// while it builds a live set (the specs, the job database's state): after each collection it sets
// the GC percent so that the next one starts once the heap has grown by about headroom bytes past
// what the collection found live. The heap then stays near its live size plus headroom instead of
// a multiple of it, with few collections while the live set is small. The percent stays within
// minGCPercent, so a very large live set is not collected over and over, and maxGCPercent. It
// returns the function that stops the sizing and restores the previous percent.
func gcHeadroom(headroom uint64) (restore func()) {
	var mu sync.Mutex
	stopped := false
	prev := debug.SetGCPercent(maxGCPercent)
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var watch func()
	watch = func() {
		// The sentinel is unreachable at once, so its cleanup runs after the next collection.
		runtime.AddCleanup(&gcSentinel{}, func(struct{}) {
			mu.Lock()
			defer mu.Unlock()
			if stopped {
				return
			}
			metrics.Read(live)
			debug.SetGCPercent(gcPercent(live[0].Value.Uint64(), headroom))
			watch()
		}, struct{}{})
	}
	watch()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		debug.SetGCPercent(prev)
	}
}

// gcSentinel is an object whose collection marks the end of a GC cycle. Its pointer keeps it out
// of the tiny allocator, whose objects are not collected one by one.
type gcSentinel struct{ _ *byte }

// gcPercent returns the GC percent that lets a heap of live bytes grow by headroom bytes, within
// minGCPercent and maxGCPercent.
func gcPercent(live, headroom uint64) int {
	if live == 0 {
		return maxGCPercent
	}
	return int(min(max(headroom*100/live, minGCPercent), maxGCPercent))
}
