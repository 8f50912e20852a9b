package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ejops/ejops/runner/jobdb"
)

// Mode says whether passes write.
type Mode int

const (
	Enforce Mode = iota // apply what the plan finds
	Warn                // report drift and pending changes, write nothing
)

// Status is how a pass ended.
type Status int

const (
	StatusOK      Status = iota // planned, and applied when asked to write
	StatusInvalid               // the specs did not load: nothing was read or written
	StatusFailed                // the job database failed: unreachable, or the apply rolled back
)

// Request is what one pass is asked to do.
type Request struct {
	Paths []string // the spec paths, symbolic links resolved once for the whole pass
	Write bool     // false: plan and report only (warn mode, suspended)
}

// Result is what one pass did.
type Result struct {
	Status      Status
	Changes     []string // the plan's changes, one short line each ("~ job nightly")
	Applied     bool     // the changes were written
	Diagnostics []string // why the specs are invalid, one line each
	Err         error    // why the pass failed
	// Reapply is when the specs must be applied again even if nothing changes: the next offset
	// change of a schedule in local time. Zero when none is due.
	Reapply time.Time
}

// Pass runs one reconcile pass. It is given a context that SIGTERM does not cancel: a pass in
// flight finishes.
type Pass func(ctx context.Context, req Request) Result

// Lease is a held leadership.
type Lease interface {
	// Check fails when the leadership may be gone (its session broke).
	Check(ctx context.Context) error
	Release(ctx context.Context) error
}

// Elector asks once, without waiting, to lead; a nil Lease and no error mean another replica
// leads.
type Elector func(ctx context.Context) (Lease, error)

// Outcomes reads the job executions that finished after since and returns the time to read from
// next; a zero since starts the window (see jobdb.DB.FinishedSince).
type Outcomes func(ctx context.Context, since time.Time) ([]jobdb.ExecutionRow, time.Time, error)

// Config steers a Loop. Zero durations take the defaults in brackets.
type Config struct {
	Paths        []string
	Mode         Mode
	Debounce     time.Duration // quiet time after a file event before a pass [250ms]
	Interval     time.Duration // resync: a pass, and a read of job outcomes, even without events [5m]
	Backoff      time.Duration // first delay after a failure, doubled on each failure after it [1s]
	MaxBackoff   time.Duration // cap of the delay, and of how often a lasting failure is logged [1m]
	LeaderRetry  time.Duration // how often a follower asks to lead and a leader checks its lease [2s]
	CheckTimeout time.Duration // bound of each leader request and outcome read [10s]
	SuspendFile  string        // a suspend file besides SuspendName in each spec folder; "" for none
	Logger       *slog.Logger  // nil discards
	Pass         Pass
	Elector      Elector          // nil: this replica always leads
	Outcomes     Outcomes         // nil: no job outcome metrics
	Now          func() time.Time // the clock of passes and their Reapply times; nil: time.Now
}

// Loop is the sidecar: one goroutine waiting in one select on file events, its timers and its
// context.
type Loop struct {
	cfg     Config
	log     *slog.Logger
	Metrics *Metrics
	files   *tree

	dirty                 bool // file events not yet passed
	firstEvent, lastEvent time.Time
	resyncAt, retryAt     time.Time
	reapplyAt             time.Time // a pass's Result.Reapply
	electAt               time.Time
	startPass             bool // leadership just began

	last     lastPass
	good     string // digest of the specs of the last pass that succeeded
	passes   retry
	election retry
	reads    retry

	lease     Lease
	leading   bool
	following bool
	suspended string
	since     time.Time // job outcomes are read from here

	mu       sync.Mutex
	ready    bool
	readyWhy string
}

type lastPass struct {
	done        bool
	digest      string
	status      Status
	suspendedBy string
}

// New returns a Loop; Run starts it.
func New(cfg Config) *Loop {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Debounce, 250*time.Millisecond)
	def(&cfg.Interval, 5*time.Minute)
	def(&cfg.Backoff, time.Second)
	def(&cfg.MaxBackoff, time.Minute)
	def(&cfg.LeaderRetry, 2*time.Second)
	def(&cfg.CheckTimeout, 10*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Loop{cfg: cfg, log: cfg.Logger, Metrics: NewMetrics(), readyWhy: "starting"}
	l.passes = retry{min: cfg.Backoff, max: cfg.MaxBackoff}
	l.election = retry{min: cfg.LeaderRetry, max: cfg.MaxBackoff}
	l.reads = retry{min: cfg.Interval, max: cfg.MaxBackoff}
	return l
}

// Run watches and reconciles until ctx is done, then finishes the pass in flight, gives up the
// leadership and returns nil. It returns an error only when the spec folders cannot be watched.
func (l *Loop) Run(ctx context.Context) error {
	files, err := newTree(l.cfg.Paths, l.cfg.SuspendFile)
	if err != nil {
		return fmt.Errorf("watch the spec folders: %w", err)
	}
	l.files = files
	defer files.Close()
	defer l.stepDown()
	now := l.cfg.Now()
	l.electAt, l.resyncAt = now, now.Add(l.cfg.Interval)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-files.w.Events:
			if !ok {
				return errors.New("the file watcher stopped")
			}
			if files.relevant(ev) {
				l.log.Debug("file event", "path", ev.Name, "op", ev.Op.String())
				l.touch(l.cfg.Now())
			}
		case err, ok := <-files.w.Errors:
			if !ok {
				return errors.New("the file watcher stopped")
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				l.touch(l.cfg.Now()) // events were lost: look at everything again
			} else {
				l.log.Warn("file watcher", "error", err)
			}
		case <-timer.C:
			l.tick(ctx, l.cfg.Now())
		}
		timer.Reset(l.wake().Sub(l.cfg.Now()))
	}
}

// touch records a file event: the pass waits for Debounce of quiet, at most 4 × Debounce in all.
func (l *Loop) touch(now time.Time) {
	if !l.dirty {
		l.dirty, l.firstEvent = true, now
	}
	l.lastEvent = now
}

func (l *Loop) flushAt() time.Time {
	a, b := l.lastEvent.Add(l.cfg.Debounce), l.firstEvent.Add(4*l.cfg.Debounce)
	if b.Before(a) {
		return b
	}
	return a
}

// wake is when something is next due. While files are being written, only the leader check and
// the end of the debounce are: a pass then would read them half written.
func (l *Loop) wake() time.Time {
	next := l.electAt
	earlier := func(t time.Time) {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	switch {
	case !l.leading:
	case l.dirty:
		earlier(l.flushAt())
	case l.startPass:
		next = l.cfg.Now()
	default:
		earlier(l.resyncAt)
		earlier(l.retryAt)
		earlier(l.reapplyAt)
	}
	return next
}

// due says which triggers of a pass have come.
type due struct{ start, files, retry, resync, reapply bool }

func (d due) reason() string {
	switch {
	case d.start:
		return "leader"
	case d.files:
		return "files"
	case d.retry:
		return "retry"
	case d.resync:
		return "resync"
	case d.reapply:
		return "schedule"
	}
	return ""
}

// tick does what is due at now: the leader check, then at most one pass (none while files are
// being written), then on resync the read of job outcomes.
func (l *Loop) tick(ctx context.Context, now time.Time) {
	if !now.Before(l.electAt) {
		l.elect(ctx, now)
	}
	if !l.leading || l.dirty && now.Before(l.flushAt()) {
		return
	}
	d := due{
		start:   l.startPass,
		files:   l.dirty && !now.Before(l.flushAt()),
		retry:   !l.retryAt.IsZero() && !now.Before(l.retryAt),
		resync:  !now.Before(l.resyncAt),
		reapply: !l.reapplyAt.IsZero() && !now.Before(l.reapplyAt),
	}
	if d.reason() == "" {
		return
	}
	l.startPass = false
	if d.files {
		l.dirty = false
	}
	if d.retry {
		l.retryAt = time.Time{}
	}
	if d.resync {
		l.resyncAt = now.Add(l.cfg.Interval)
	}
	if d.reapply {
		l.reapplyAt = time.Time{}
	}
	snap := l.files.scan()
	if l.skip(snap, d) {
		l.log.Debug("pass skipped: the specs did not change since the last pass", "trigger", d.reason())
	} else {
		l.pass(ctx, now, snap, d.reason())
	}
	if d.resync {
		l.readOutcomes(ctx, now)
	}
}

// skip reports whether a pass would only repeat the last one: the same specs and suspend state,
// and either nothing to look at again (a file event that changed nothing), or a failure that
// only a change of the specs or the backoff's retry may end.
func (l *Loop) skip(snap snapshot, d due) bool {
	if !l.last.done || d.start || d.retry || snap.digest != l.last.digest || snap.suspendedBy != l.last.suspendedBy {
		return false
	}
	if l.last.status == StatusOK {
		// A resync reads the job database again: drift shows there, not in files; a schedule in
		// local time is due to move.
		return !d.resync && !d.reapply
	}
	return true
}

// pass runs one pass and records what it did.
func (l *Loop) pass(ctx context.Context, now time.Time, snap snapshot, trigger string) {
	if l.lease != nil {
		cctx, cancel := context.WithTimeout(ctx, l.cfg.CheckTimeout)
		err := l.lease.Check(cctx)
		cancel()
		if err != nil {
			l.lost(now, err)
			return
		}
	}
	l.setSuspended(snap.suspendedBy)
	write := l.cfg.Mode == Enforce && snap.suspendedBy == ""
	start := l.cfg.Now()
	res := l.cfg.Pass(context.WithoutCancel(ctx), Request{Paths: snap.paths, Write: write})
	now = l.cfg.Now()
	took := now.Sub(start)
	if res.Status != StatusOK && res.Err == nil {
		res.Err = errors.New("the pass failed")
	}
	l.Metrics.duration.Observe(took.Seconds())
	l.last = lastPass{done: true, digest: snap.digest, status: res.Status, suspendedBy: snap.suspendedBy}
	attrs := []any{"trigger", trigger, "duration", took.Round(time.Millisecond).String()}
	switch res.Status {
	case StatusOK:
		// A time to apply again that the pass itself overtook (it ran across an offset change)
		// is due at once; one before the pass began is not a time the pass could mean.
		l.reapplyAt = time.Time{}
		if res.Reapply.After(start) {
			l.reapplyAt = res.Reapply
			attrs = append(attrs, "reapply_at", res.Reapply.UTC().Format(time.RFC3339))
		}
		l.passed(now, snap, res, attrs)
	case StatusInvalid:
		for _, d := range res.Diagnostics {
			l.log.Error("invalid spec", "diagnostic", d)
		}
		l.Metrics.passes.WithLabelValues(ResultInvalid).Inc()
		l.setReady(false, "the specs are invalid; the last good state stays")
		l.log.Error("pass", append([]any{"result", ResultInvalid, "error", res.Err, "applied", "nothing; the last good state stays"}, attrs...)...)
	default:
		delay, log := l.passes.fail(now, res.Err)
		l.retryAt = now.Add(delay)
		l.Metrics.passes.WithLabelValues(ResultError).Inc()
		l.Metrics.applyErrors.Inc()
		if len(res.Changes) > 0 {
			l.Metrics.pending.Set(float64(len(res.Changes)))
		}
		l.setReady(false, "the last pass failed: "+res.Err.Error())
		level := slog.LevelDebug
		if log {
			level = slog.LevelError
		}
		l.log.Log(ctx, level, "pass", append([]any{"result", ResultError, "error", res.Err, "failures", l.passes.failures, "retry_in", delay.String()}, attrs...)...)
	}
}

// passed records a pass that succeeded.
func (l *Loop) passed(now time.Time, snap snapshot, res Result, attrs []any) {
	if n, since := l.passes.ok(); n > 0 {
		l.log.Info("recovered", "failed_passes", n, "for", now.Sub(since).Round(time.Second).String())
	}
	drift := len(res.Changes) > 0 && snap.digest == l.good
	result := ResultUnchanged
	switch {
	case res.Applied:
		result = ResultApplied
		l.Metrics.pending.Set(0)
		if drift {
			l.Metrics.drift.Add(float64(len(res.Changes)))
		}
	case len(res.Changes) > 0:
		result = ResultPending
		l.Metrics.pending.Set(float64(len(res.Changes)))
	default:
		l.Metrics.pending.Set(0)
	}
	l.good = snap.digest
	l.Metrics.passes.WithLabelValues(result).Inc()
	l.Metrics.lastSuccess.Set(float64(now.Unix()))
	l.setReady(true, "the last pass succeeded")
	out := append([]any{"result", result, "changes", len(res.Changes)}, attrs...)
	if len(res.Changes) > 0 {
		out = append(out, "drift", drift, "objects", summary(res.Changes, 20))
	}
	l.log.Info("pass", out...)
}

// summary joins the first n lines of changes.
func summary(changes []string, n int) string {
	if len(changes) <= n {
		return strings.Join(changes, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(changes[:n], ", "), len(changes)-n)
}

func (l *Loop) setSuspended(by string) {
	if by == l.suspended {
		return
	}
	if by != "" {
		l.log.Warn("suspended: passes plan and report, writes stop until the file is removed", "file", by)
	} else {
		l.log.Info("resumed: the suspend file is gone")
	}
	l.suspended = by
	boolGauge(l.Metrics.suspended, by != "")
}

// elect asks to lead when following, or checks the lease when leading.
func (l *Loop) elect(ctx context.Context, now time.Time) {
	ectx, cancel := context.WithTimeout(ctx, l.cfg.CheckTimeout)
	defer cancel()
	l.electAt = now.Add(l.cfg.LeaderRetry)
	switch {
	case l.cfg.Elector == nil:
		if !l.leading {
			l.lead(ctx, now, nil)
		}
		l.electAt = now.Add(l.cfg.Interval)
	case l.lease != nil:
		if err := l.lease.Check(ectx); err != nil {
			l.lost(now, err)
		}
	default:
		lease, err := l.cfg.Elector(ectx)
		if err != nil {
			delay, log := l.election.fail(now, err)
			l.electAt = now.Add(delay)
			l.setReady(false, "cannot reach the job database")
			level := slog.LevelDebug
			if log {
				level = slog.LevelError
			}
			l.log.Log(ctx, level, "leader election", "error", err, "failures", l.election.failures, "retry_in", delay.String())
			return
		}
		if n, since := l.election.ok(); n > 0 {
			l.log.Info("job database reachable again", "failed_attempts", n, "for", now.Sub(since).Round(time.Second).String())
		}
		if lease == nil {
			if !l.following {
				l.log.Info("following: another replica leads; this one serves health only")
				l.following = true
			}
			l.setReady(true, "following a healthy leader")
			return
		}
		l.lead(ctx, now, lease)
	}
}

// lead starts a leadership: a pass at once, and a new window of job outcomes.
func (l *Loop) lead(ctx context.Context, now time.Time, lease Lease) {
	l.lease, l.leading, l.following, l.startPass = lease, true, false, true
	l.since = time.Time{}
	boolGauge(l.Metrics.leader, true)
	l.setReady(false, "leading; the first pass is running")
	if lease != nil {
		l.log.Info("leading: this replica applies")
	}
	l.readOutcomes(ctx, now)
}

// lost ends a leadership whose session failed.
func (l *Loop) lost(now time.Time, err error) {
	l.log.Warn("leadership lost; asking again", "error", err)
	l.stepDown()
	l.electAt = now
	l.setReady(false, "leadership lost")
}

// stepDown gives the lease up, if any.
func (l *Loop) stepDown() {
	if l.lease != nil {
		ctx, cancel := context.WithTimeout(context.Background(), l.cfg.CheckTimeout)
		_ = l.lease.Release(ctx)
		cancel()
	}
	l.lease, l.leading, l.following = nil, false, false
	boolGauge(l.Metrics.leader, false)
}

// readOutcomes counts the job executions finished since the last read.
func (l *Loop) readOutcomes(ctx context.Context, now time.Time) {
	if l.cfg.Outcomes == nil || !l.leading {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, l.cfg.CheckTimeout)
	defer cancel()
	rows, next, err := l.cfg.Outcomes(rctx, l.since)
	if err != nil {
		if _, log := l.reads.fail(now, err); log {
			l.log.Warn("read job outcomes", "error", err, "failures", l.reads.failures)
		}
		return
	}
	l.reads.ok()
	l.Metrics.count(rows)
	l.since = next
}

func (l *Loop) setReady(ok bool, why string) {
	l.mu.Lock()
	l.ready, l.readyWhy = ok, why
	l.mu.Unlock()
}

// Ready reports whether the last pass succeeded, or this replica follows a healthy leader, and why.
func (l *Loop) Ready() (bool, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ready, l.readyWhy
}

// Handler serves HealthPath (the process is alive), ReadyPath (200 when Ready, else 503) and
// MetricsPath.
func (l *Loop) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, _ *http.Request) {
		ok, why := l.Ready()
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, why)
	})
	mux.Handle("GET "+MetricsPath, l.Metrics.handler())
	return mux
}
