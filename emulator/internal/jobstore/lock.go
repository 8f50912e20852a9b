package jobstore

import (
	"context"
	"sync"
	"time"
)

// lockMode is an application lock mode.
type lockMode int

const (
	modeShared lockMode = iota
	modeUpdate
	modeIntentShared
	modeIntentExclusive
	modeExclusive
)

// compatible is SQL Server's lock compatibility matrix for the modes sp_getapplock grants.
var compatible = [5][5]bool{
	modeShared:          {modeShared: true, modeUpdate: true, modeIntentShared: true},
	modeUpdate:          {modeShared: true, modeIntentShared: true},
	modeIntentShared:    {modeShared: true, modeUpdate: true, modeIntentShared: true, modeIntentExclusive: true},
	modeIntentExclusive: {modeIntentShared: true, modeIntentExclusive: true},
	modeExclusive:       {},
}

// ownerKind says who owns a lock: the session's transaction, the session, or the session's
// database write lock (an internal transaction-scoped lock).
type ownerKind int

const (
	ownerTransaction ownerKind = iota
	ownerSession
	ownerWriter
)

type lockOwner struct {
	s    *Session
	kind ownerKind
}

type grant struct {
	owner lockOwner
	mode  lockMode
	count int
}

type lockRes struct {
	grants []*grant
	wake   chan struct{} // closed and replaced whenever a grant is released
}

type waitReq struct {
	key  string
	mode lockMode
}

// Lock request outcomes, the return codes of sp_getapplock.
const (
	lockGranted  = 0
	lockWaited   = 1
	lockTimeout  = -1
	lockCanceled = -2
	lockDeadlock = -3
)

// lockManager grants application locks and the database write lock, with waits that honour a
// timeout and a context, and deadlock detection on the wait-for graph.
type lockManager struct {
	mu      sync.Mutex
	res     map[string]*lockRes
	waiting map[*Session]waitReq
}

func newLockManager() *lockManager {
	return &lockManager{res: map[string]*lockRes{}, waiting: map[*Session]waitReq{}}
}

// blockers returns the sessions whose grants on key conflict with mode requested by s.
func (lm *lockManager) blockers(key string, s *Session, mode lockMode) []*Session {
	r := lm.res[key]
	if r == nil {
		return nil
	}
	var out []*Session
	for _, g := range r.grants {
		if g.owner.s != s && !compatible[mode][g.mode] {
			out = append(out, g.owner.s)
		}
	}
	return out
}

// wouldDeadlock reports whether s waiting for key closes a cycle in the wait-for graph.
func (lm *lockManager) wouldDeadlock(s *Session, key string, mode lockMode) bool {
	seen := map[*Session]bool{}
	var visit func(holders []*Session) bool
	visit = func(holders []*Session) bool {
		for _, h := range holders {
			if h == s {
				return true
			}
			if seen[h] {
				continue
			}
			seen[h] = true
			if w, ok := lm.waiting[h]; ok && visit(lm.blockers(w.key, h, w.mode)) {
				return true
			}
		}
		return false
	}
	return visit(lm.blockers(key, s, mode))
}

func (lm *lockManager) grantLocked(key string, o lockOwner, mode lockMode) {
	r := lm.res[key]
	if r == nil {
		r = &lockRes{wake: make(chan struct{})}
		lm.res[key] = r
	}
	for _, g := range r.grants {
		if g.owner == o && g.mode == mode {
			g.count++
			return
		}
	}
	r.grants = append(r.grants, &grant{owner: o, mode: mode, count: 1})
}

// acquire requests key in mode for o. timeout < 0 waits forever, 0 does not wait.
func (lm *lockManager) acquire(ctx context.Context, key string, o lockOwner, mode lockMode, timeout time.Duration) int {
	var timer <-chan time.Time
	waited := false
	for {
		lm.mu.Lock()
		if len(lm.blockers(key, o.s, mode)) == 0 {
			lm.grantLocked(key, o, mode)
			delete(lm.waiting, o.s)
			lm.mu.Unlock()
			if waited {
				return lockWaited
			}
			return lockGranted
		}
		if timeout == 0 {
			lm.mu.Unlock()
			return lockTimeout
		}
		if lm.wouldDeadlock(o.s, key, mode) {
			delete(lm.waiting, o.s)
			lm.mu.Unlock()
			return lockDeadlock
		}
		lm.waiting[o.s] = waitReq{key: key, mode: mode}
		wake := lm.res[key].wake
		lm.mu.Unlock()
		if timer == nil && timeout > 0 {
			t := time.NewTimer(timeout)
			defer t.Stop()
			timer = t.C
		}
		waited = true
		select {
		case <-wake:
		case <-timer:
			lm.stopWaiting(o.s)
			return lockTimeout
		case <-ctx.Done():
			lm.stopWaiting(o.s)
			return lockCanceled
		}
	}
}

func (lm *lockManager) stopWaiting(s *Session) {
	lm.mu.Lock()
	delete(lm.waiting, s)
	lm.mu.Unlock()
}

// release drops one grant of key held by o (any mode); it reports whether one was held.
func (lm *lockManager) release(key string, o lockOwner) bool {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	r := lm.res[key]
	if r == nil {
		return false
	}
	for i, g := range r.grants {
		if g.owner == o {
			g.count--
			if g.count == 0 {
				r.grants = append(r.grants[:i], r.grants[i+1:]...)
			}
			lm.wakeLocked(key, r)
			return true
		}
	}
	return false
}

// releaseAll drops every grant held by s with one of the given owner kinds.
func (lm *lockManager) releaseAll(s *Session, kinds ...ownerKind) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	for key, r := range lm.res {
		kept := r.grants[:0]
		changed := false
		for _, g := range r.grants {
			drop := false
			if g.owner.s == s {
				for _, k := range kinds {
					if g.owner.kind == k {
						drop = true
					}
				}
			}
			if drop {
				changed = true
			} else {
				kept = append(kept, g)
			}
		}
		r.grants = kept
		if changed {
			lm.wakeLocked(key, r)
		}
	}
}

func (lm *lockManager) wakeLocked(key string, r *lockRes) {
	close(r.wake)
	if len(r.grants) == 0 {
		delete(lm.res, key)
		return
	}
	r.wake = make(chan struct{})
}
