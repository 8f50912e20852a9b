package tds

import (
	"net"
	"sync"
	"time"
)

// loginThrottle slows down password guessing from one client address. After free failed logins,
// each login from the address waits for a turn before its credentials are checked: turns come one
// per delay, the delay doubling with every further failure, from base up to max. Parallel
// connections queue for turns, so they gain nothing; a login whose turn would come after the
// login timeout fails at once without its password being checked. A successful login clears the
// address's record; a record without failures for forget is dropped.
type loginThrottle struct {
	free   int
	base   time.Duration
	max    time.Duration
	forget time.Duration
	now    func() time.Time

	mu      sync.Mutex
	clients map[string]*loginRecord
}

// loginRecord is what the throttle knows of one client address.
type loginRecord struct {
	failures int
	last     time.Time // the latest failure
	next     time.Time // the next free turn
}

func newLoginThrottle() *loginThrottle {
	return &loginThrottle{free: 5, base: 100 * time.Millisecond, max: 10 * time.Second, forget: 15 * time.Minute,
		now: time.Now, clients: map[string]*loginRecord{}}
}

// clientKey is the address a connection's logins are counted under: the remote IP, or the whole
// address of a connection that has none (net.Pipe).
func clientKey(addr net.Addr) string {
	if host, _, err := net.SplitHostPort(addr.String()); err == nil {
		return host
	}
	return addr.String()
}

// turn returns how long a login from client must wait before its credentials are checked, and
// reserves that turn; ok is false when the turn would come later than limit.
func (t *loginThrottle) turn(client string, limit time.Duration) (wait time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.clients[client]
	if r == nil || r.failures < t.free {
		return 0, true
	}
	now := t.now()
	at := r.next
	if at.Before(now) {
		at = now
	}
	wait = at.Sub(now)
	if wait > limit {
		return 0, false
	}
	r.next = at.Add(t.delay(r.failures))
	return wait, true
}

// delay is the time between turns after n failures.
func (t *loginThrottle) delay(n int) time.Duration {
	d := t.base
	for i := t.free; i < n && d < t.max; i++ {
		d *= 2
	}
	return min(d, t.max)
}

// failed records a failed login from client.
func (t *loginThrottle) failed(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.clients) >= maxThrottledClients {
		t.prune(now)
	}
	r := t.clients[client]
	if r == nil {
		r = &loginRecord{}
		t.clients[client] = r
	}
	r.failures++
	r.last = now
	if r.failures >= t.free {
		if next := now.Add(t.delay(r.failures)); next.After(r.next) {
			r.next = next
		}
	}
}

// maxThrottledClients bounds the addresses the throttle remembers.
const maxThrottledClients = 4096

// prune drops the records without a recent failure and, if that is not enough, others, so that
// the table stays small whatever the number of addresses that fail.
func (t *loginThrottle) prune(now time.Time) {
	for k, r := range t.clients {
		if now.Sub(r.last) > t.forget {
			delete(t.clients, k)
		}
	}
	for k := range t.clients {
		if len(t.clients) < maxThrottledClients/2 {
			break
		}
		delete(t.clients, k)
	}
}

// succeeded clears client's failures.
func (t *loginThrottle) succeeded(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.clients, client)
}
