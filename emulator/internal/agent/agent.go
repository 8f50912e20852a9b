package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// DefaultTick is how long Run waits after a commit to the job database before it steps, so the
// commits of one tick make one Step.
const DefaultTick = 200 * time.Millisecond

// Options configures an Agent.
type Options struct {
	Fleet  *Fleet        // nil: every SqlDatabase target exists and succeeds
	Clock  Clock         // nil: RealClock
	Logger *slog.Logger  // nil discards
	Tick   time.Duration // Run's wait from a commit to its Step; default DefaultTick

	// NoSchedules keeps the agent from firing schedules; executions started by sp_start_job
	// still run. A short-lived process that is not the resident agent sets it.
	NoSchedules bool

	// Executor runs the T-SQL of steps on fleet databases that set Execute; nil runs none.
	Executor Executor
}

// Agent is a simulated Elastic Jobs agent bound to one job database.
type Agent struct {
	db    *jobstore.DB
	clock Clock
	log   *slog.Logger
	tick  time.Duration
	noSch bool
	exec  Executor
	fleet atomic.Pointer[fleetState]
	wake  chan struct{}

	mu       sync.Mutex
	runs     map[sqlval.UUID]*run
	steps    map[versionKey][]stepDef
	sched    map[sqlval.UUID]*schedState
	members  map[sqlval.UUID][]member // read once per Step, when a step starts
	nextSche time.Time                // next schedule occurrence seen by the last Step
	batch    *jobstore.Batch          // the Step's execution changes, committed together
	stepSeq  int64                    // number of the current or last Step
}

type fleetState struct {
	f  *Fleet
	ix *fleetIndex
}

// New returns an agent for db. It does nothing until Run, Step or Advance is called.
func New(db *jobstore.DB, opts Options) *Agent {
	a := &Agent{
		db:    db,
		clock: opts.Clock,
		log:   opts.Logger,
		tick:  opts.Tick,
		noSch: opts.NoSchedules,
		exec:  opts.Executor,
		wake:  make(chan struct{}, 1),
		runs:  map[sqlval.UUID]*run{},
		steps: map[versionKey][]stepDef{},
		sched: map[sqlval.UUID]*schedState{},
	}
	if a.clock == nil {
		a.clock = RealClock{}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.tick <= 0 {
		a.tick = DefaultTick
	}
	a.SetFleet(opts.Fleet)
	return a
}

// SetFleet replaces the fleet; the next target enumeration uses it. Attempts already running keep
// the behaviour they started with.
func (a *Agent) SetFleet(f *Fleet) {
	a.fleet.Store(&fleetState{f: f, ix: indexFleet(f)})
	a.Wake()
}

// Fleet returns the current fleet (nil when none was given).
func (a *Agent) Fleet() *Fleet { return a.fleet.Load().f }

// Wake makes Run look at the job database now instead of at its next tick.
func (a *Agent) Wake() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// idlePoll is the longest an idle Run waits without looking at the job database.
const idlePoll = time.Minute

// Run drives the agent until ctx is done. It steps one tick after something is committed to
// the job database (the commits of that tick go into one Step), when an attempt, retry, timeout
// or schedule falls due, on Wake, and again at the next tick after a Step that failed. In
// between it does nothing: an idle agent costs no CPU however large the job database. A Step
// that has begun runs to its end even when ctx is done meanwhile: ctx is looked at only between
// steps, so no execution is left half-written.
func (a *Agent) Run(ctx context.Context) error {
	stepCtx := context.WithoutCancel(ctx)
	step := true
	var seen uint64             // commits seen by the last Step
	var changed <-chan struct{} // closed at the first commit after it; nil once closed
	var dueAt time.Time         // when something falls due, as the last Step left things
	for {
		if ctx.Err() != nil {
			return nil
		}
		if step {
			seen, changed = a.db.Changed()
			err := a.Step(stepCtx)
			if err != nil {
				a.log.Warn("agent step failed", "err", err)
			}
			if ctx.Err() != nil {
				return nil
			}
			step = err != nil
			dueAt, _ = a.nextWake()
		}
		wait := idlePoll
		if step || changed == nil {
			wait = a.tick
		}
		if !dueAt.IsZero() {
			wait = max(min(dueAt.Sub(a.clock.Now()), wait), 0)
		}
		t := a.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-a.wake:
			t.Stop()
			step = true
		case <-changed:
			t.Stop()
			changed = nil // step at the next tick
		case <-t.C():
			step = step || a.db.Commits() != seen || (!dueAt.IsZero() && !a.clock.Now().Before(dueAt))
		}
	}
}

// Step does everything that is due at the clock's current time (scheduled starts, picking up
// started executions, finishing attempts, retries, timeouts, cancellations, later steps) until
// nothing more changes at this time, except that a target makes at most one attempt per Step: a
// retry due at once waits for the next Step. The execution changes of a Step are committed
// together, in one write of the job database; when that commit fails the agent forgets them and
// the next Step does them again.
func (a *Agent) Step(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	defer func() { a.members = nil }()
	a.stepSeq++
	now := a.clock.Now()
	var errs []error
	if !a.noSch {
		next, err := a.schedule(ctx, now)
		if err != nil {
			errs = append(errs, err)
		}
		a.nextSche = next
	}
	saved := cloneRuns(a.runs)
	err := a.db.Batch(ctx, func(b *jobstore.Batch) error {
		a.batch = b
		defer func() { a.batch = nil }()
		if err := a.pickUp(ctx, now); err != nil {
			errs = append(errs, err)
		}
		runs := make([]*run, 0, len(a.runs))
		for _, r := range a.runs {
			runs = append(runs, r)
		}
		sort.Slice(runs, func(i, j int) bool { return runs[i].rootKey < runs[j].rootKey })
		for _, r := range runs {
			if ctx.Err() != nil {
				break
			}
			if err := a.advance(ctx, r, now); err != nil && ctx.Err() == nil {
				errs = append(errs, fmt.Errorf("execution %s: %w", r.id, err))
				a.log.Warn("execution step failed", "execution_id", r.id.String(), "err", err)
			}
			if r.done {
				delete(a.runs, r.id)
			}
		}
		return nil
	})
	if err != nil {
		a.runs = saved
		errs = append(errs, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return joinErrs(errs)
}

// Advance moves the fake clock forward by d, stopping at every moment something falls due (an
// attempt ends, a retry or timeout comes, a schedule fires) to process it, and returns when the
// agent is idle at the new time. It needs Options.Clock to be a *FakeClock.
func (a *Agent) Advance(ctx context.Context, d time.Duration) error {
	fc, ok := a.clock.(*FakeClock)
	if !ok {
		return errors.New("advance the agent: the clock is not a fake clock")
	}
	end := fc.Now().Add(d)
	for {
		if err := a.Step(ctx); err != nil {
			return err
		}
		next, ok := a.nextWake()
		if !ok || next.After(end) {
			break
		}
		fc.AdvanceTo(next)
	}
	fc.AdvanceTo(end)
	return a.Step(ctx)
}

// nextWake returns the earliest future time at which something falls due, or now when a retry
// was held back by the one-attempt-per-Step rule.
func (a *Agent) nextWake() (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	next := time.Time{}
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	consider(a.nextSche)
	free := false // a connection is free under the tier's cap
	if ix := a.fleet.Load().ix; ix != nil && ix.cap > 0 {
		free = a.connections() < ix.cap
	}
	for _, r := range a.runs {
		for _, t := range r.targets {
			if t.queued && free {
				return now, true
			}
			switch t.lifecycle {
			case jobstore.InProgress:
				consider(t.attemptEnd)
				consider(t.timeoutAt)
			case jobstore.WaitingForRetry:
				if t.startedIn == a.stepSeq && !t.retryAt.After(now) {
					return now, true
				}
				consider(t.retryAt)
			}
		}
	}
	return next, !next.IsZero()
}

// cloneRuns copies the runs deeply enough that a Step can be undone.
func cloneRuns(runs map[sqlval.UUID]*run) map[sqlval.UUID]*run {
	out := make(map[sqlval.UUID]*run, len(runs))
	for id, r := range runs {
		c := *r
		c.targets = make([]*target, len(r.targets))
		for i, t := range r.targets {
			tc := *t
			c.targets[i] = &tc
		}
		out[id] = &c
	}
	return out
}

func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}
