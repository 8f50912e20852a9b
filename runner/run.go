package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
)

// Lifecycle values of jobs.job_executions.
const (
	LifecycleCreated              = "Created"
	LifecycleInProgress           = "InProgress"
	LifecycleWaitingForRetry      = "WaitingForRetry"
	LifecycleWaitingForChildren   = "WaitingForChildJobExecutions"
	LifecycleSucceeded            = "Succeeded"
	LifecycleSucceededWithSkipped = "SucceededWithSkipped"
	LifecycleFailed               = "Failed"
	LifecycleTimedOut             = "TimedOut"
	LifecycleCanceled             = "Canceled"
	LifecycleSkipped              = "Skipped"
)

// Execution is one job execution as a tree: the job-level row, then one StepExecution per step
// that started, each with the executions of its targets.
type Execution struct {
	ID          string
	Job         string
	JobVersion  int
	Lifecycle   string
	Active      bool
	Created     time.Time
	Started     time.Time // zero until the agent picks the execution up
	Ended       time.Time // zero while active
	LastMessage string
	Steps       []*StepExecution // by step id
}

// StepExecution is the row of one step and the rows of its targets.
type StepExecution struct {
	ID          int
	Name        string
	TargetGroup string
	Lifecycle   string
	Active      bool
	Started     time.Time
	Ended       time.Time
	LastMessage string
	Targets     []*TargetExecution // by server, then database
}

// TargetExecution is one target of a step: a database, or the enumeration of a server's or an
// elastic pool's databases (Type SqlServer or SqlElasticPool).
type TargetExecution struct {
	Type           string
	ID             string
	Server         string
	Database       string
	Lifecycle      string
	Active         bool
	Attempts       int
	Created        time.Time
	Started        time.Time
	Ended          time.Time
	AttemptStarted time.Time
	NextAttempt    time.Time
	LastMessage    string
}

// IsDatabase reports whether the target is a database rather than an enumeration.
func (t *TargetExecution) IsDatabase() bool { return t.Type == "SqlDatabase" }

// Name is how the target is shown: server/database, or the server of an enumeration.
func (t *TargetExecution) Name() string {
	switch {
	case t.IsDatabase():
		return t.Server + "/" + t.Database
	case t.Type == "SqlElasticPool":
		return t.Server + " (elastic pool enumeration)"
	case t.Type == "SqlServer":
		return t.Server + " (server enumeration)"
	}
	return t.Type + " " + t.ID
}

// Duration is how long a row ran: from its start to its end, or to now while it is active.
func Duration(started, ended, now time.Time) time.Duration {
	switch {
	case started.IsZero():
		return 0
	case ended.IsZero():
		return max(now.Sub(started), 0)
	}
	return max(ended.Sub(started), 0)
}

// BuildExecution assembles the rows of one execution tree, as jobdb.ExecutionTree reads them.
func BuildExecution(rows []jobdb.ExecutionRow) (*Execution, error) {
	var e *Execution
	steps := map[int]*StepExecution{}
	stepOf := func(r *jobdb.ExecutionRow) *StepExecution {
		s := steps[r.StepID]
		if s == nil {
			s = &StepExecution{ID: r.StepID, Name: r.StepName, Lifecycle: LifecycleCreated, Active: true}
			steps[r.StepID] = s
		}
		return s
	}
	for i := range rows {
		r := &rows[i]
		switch {
		case r.StepID == 0:
			e = &Execution{ID: r.ExecutionID, Job: r.Job, JobVersion: r.JobVersion, Lifecycle: r.Lifecycle,
				Active: r.Active, Created: r.Created, Started: r.Started, Ended: r.Ended, LastMessage: r.LastMessage}
		case r.TargetType == "" || r.TargetType == "TargetGroup":
			s := stepOf(r)
			s.TargetGroup, s.Lifecycle, s.Active = r.TargetGroup, r.Lifecycle, r.Active
			s.Started, s.Ended, s.LastMessage = r.Started, r.Ended, r.LastMessage
		default:
			s := stepOf(r)
			s.Targets = append(s.Targets, &TargetExecution{Type: r.TargetType, ID: r.TargetID,
				Server: r.TargetServer, Database: r.TargetDatabase, Lifecycle: r.Lifecycle, Active: r.Active,
				Attempts: r.Attempts, Created: r.Created, Started: r.Started, Ended: r.Ended,
				AttemptStarted: r.AttemptStarted, NextAttempt: r.NextAttempt, LastMessage: r.LastMessage})
		}
	}
	if e == nil {
		if len(rows) == 0 {
			return nil, jobdb.ErrNoExecution
		}
		return nil, fmt.Errorf("execution %s has no job-level row", rows[0].ExecutionID)
	}
	for _, s := range steps {
		sort.Slice(s.Targets, func(a, b int) bool { return targetLess(s.Targets[a], s.Targets[b]) })
		e.Steps = append(e.Steps, s)
	}
	sort.Slice(e.Steps, func(a, b int) bool { return e.Steps[a].ID < e.Steps[b].ID })
	return e, nil
}

// targetLess orders enumerations before databases, then by server and database, ignoring case.
func targetLess(a, b *TargetExecution) bool {
	if a.IsDatabase() != b.IsDatabase() {
		return !a.IsDatabase()
	}
	if x, y := strings.ToLower(a.Server), strings.ToLower(b.Server); x != y {
		return x < y
	}
	if x, y := strings.ToLower(a.Database), strings.ToLower(b.Database); x != y {
		return x < y
	}
	return a.Type < b.Type
}

// Succeeded reports whether the execution ended Succeeded or SucceededWithSkipped.
func (e *Execution) Succeeded() bool {
	return e.Lifecycle == LifecycleSucceeded || e.Lifecycle == LifecycleSucceededWithSkipped
}

// Current is the step that runs now, or the last one that ran; nil before the first.
func (e *Execution) Current() *StepExecution {
	for _, s := range e.Steps {
		if s.Active {
			return s
		}
	}
	if len(e.Steps) == 0 {
		return nil
	}
	return e.Steps[len(e.Steps)-1]
}

// StepTarget is a target together with its step.
type StepTarget struct {
	Step   *StepExecution
	Target *TargetExecution
}

// Targets returns the targets of every step whose lifecycle keep accepts, in step order.
func (e *Execution) Targets(keep func(lifecycle string) bool) []StepTarget {
	var out []StepTarget
	for _, s := range e.Steps {
		for _, t := range s.Targets {
			if keep(t.Lifecycle) {
				out = append(out, StepTarget{s, t})
			}
		}
	}
	return out
}

// IsFailure reports whether a lifecycle is a terminal outcome other than success or a skip.
func IsFailure(lifecycle string) bool {
	switch lifecycle {
	case LifecycleFailed, LifecycleTimedOut, LifecycleCanceled:
		return true
	}
	return false
}

// Counts tallies targets by what they are doing.
type Counts struct {
	Total, Succeeded, Failed, Skipped, Running, WaitingForRetry, Pending int
}

// Count tallies the databases of one step, and the enumerations of servers and pools that failed.
func (s *StepExecution) Count() Counts {
	var c Counts
	for _, t := range s.Targets {
		if !t.IsDatabase() && !IsFailure(t.Lifecycle) {
			continue
		}
		c.Total++
		switch t.Lifecycle {
		case LifecycleSucceeded, LifecycleSucceededWithSkipped:
			c.Succeeded++
		case LifecycleSkipped:
			c.Skipped++
		case LifecycleInProgress, LifecycleWaitingForChildren:
			c.Running++
		case LifecycleWaitingForRetry:
			c.WaitingForRetry++
		case LifecycleCreated:
			c.Pending++
		default:
			c.Failed++
		}
	}
	return c
}

// Transition is a change between two reads of an execution tree: a row that appeared, changed
// lifecycle or started another attempt. Step and Target are nil for the job-level row; Target is
// nil for a step row.
type Transition struct {
	Step   *StepExecution
	Target *TargetExecution
	From   string // "" for a row that appeared
	To     string
	// Attempts is the target's attempt count after the change.
	Attempts int
	// Message is the row's last message after the change.
	Message string
}

// Transitions lists what changed from prev to cur (prev nil: everything is new), job row first,
// then each step followed by its targets. Targets that appear as Created are not listed: they
// are reported when they start.
func Transitions(prev, cur *Execution) []Transition {
	var out []Transition
	if prev == nil || prev.Lifecycle != cur.Lifecycle {
		from := ""
		if prev != nil {
			from = prev.Lifecycle
		}
		out = append(out, Transition{From: from, To: cur.Lifecycle, Message: cur.LastMessage})
	}
	old := map[int]*StepExecution{}
	if prev != nil {
		for _, s := range prev.Steps {
			old[s.ID] = s
		}
	}
	for _, s := range cur.Steps {
		ps := old[s.ID]
		if ps == nil || ps.Lifecycle != s.Lifecycle {
			from := ""
			if ps != nil {
				from = ps.Lifecycle
			}
			out = append(out, Transition{Step: s, From: from, To: s.Lifecycle, Message: s.LastMessage})
		}
		out = appendTargetTransitions(out, s, ps)
	}
	return out
}

func appendTargetTransitions(out []Transition, s, prev *StepExecution) []Transition {
	type key struct{ typ, id, server, database string }
	keyOf := func(t *TargetExecution) key {
		return key{t.Type, t.ID, strings.ToLower(t.Server), strings.ToLower(t.Database)}
	}
	old := map[key]*TargetExecution{}
	if prev != nil {
		for _, t := range prev.Targets {
			old[keyOf(t)] = t
		}
	}
	for _, t := range s.Targets {
		pt := old[keyOf(t)]
		from := ""
		switch {
		case pt == nil && t.Lifecycle == LifecycleCreated:
			continue
		case pt != nil:
			if pt.Lifecycle == t.Lifecycle && pt.Attempts == t.Attempts {
				continue
			}
			from = pt.Lifecycle
		}
		out = append(out, Transition{Step: s, Target: t, From: from, To: t.Lifecycle, Attempts: t.Attempts, Message: t.LastMessage})
	}
	return out
}

// WaitOptions is how Follow polls: the first interval is MinInterval; it doubles after each
// poll that shows no change, up to MaxInterval, and falls back to MinInterval after a change.
type WaitOptions struct {
	MinInterval, MaxInterval time.Duration
}

// DefaultWaitOptions polls after 500 ms, backing off to 5 s.
func DefaultWaitOptions() WaitOptions {
	return WaitOptions{MinInterval: 500 * time.Millisecond, MaxInterval: 5 * time.Second}
}

// NextInterval is the wait after a poll: MinInterval after a change, else twice the last
// interval, capped at MaxInterval.
func (o WaitOptions) NextInterval(last time.Duration, changed bool) time.Duration {
	if changed || last <= 0 {
		return o.MinInterval
	}
	return min(2*last, o.MaxInterval)
}

// ExecutionReader reads the rows of one execution tree in one round trip; *jobdb.DB is one.
type ExecutionReader interface {
	ExecutionTree(ctx context.Context, id string) ([]jobdb.ExecutionRow, error)
}

// ReadExecution reads and assembles one execution tree.
func ReadExecution(ctx context.Context, r ExecutionReader, id string) (*Execution, error) {
	rows, err := r.ExecutionTree(ctx, id)
	if err != nil {
		return nil, err
	}
	return BuildExecution(rows)
}

// Follow reads the execution tree once per poll until it is no longer active, calling observe
// after every read with the tree and what changed since the previous one. It returns the last
// tree read (nil if none was) and, when ctx ends first, ctx's error.
func Follow(ctx context.Context, r ExecutionReader, id string, opt WaitOptions, observe func(*Execution, []Transition)) (*Execution, error) {
	var last *Execution
	interval := time.Duration(0)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-timer.C:
		}
		cur, err := ReadExecution(ctx, r, id)
		if err != nil {
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			return last, err
		}
		tr := Transitions(last, cur)
		if observe != nil {
			observe(cur, tr)
		}
		last = cur
		if !cur.Active {
			return cur, nil
		}
		interval = opt.NextInterval(interval, len(tr) > 0)
		timer.Reset(interval)
	}
}

// BuildExecutions assembles the trees of several executions from their job-level rows and the
// rows below them, keeping the order of roots.
func BuildExecutions(roots, children []jobdb.ExecutionRow) ([]*Execution, error) {
	below := map[string][]jobdb.ExecutionRow{}
	for _, c := range children {
		below[c.ExecutionID] = append(below[c.ExecutionID], c)
	}
	out := make([]*Execution, 0, len(roots))
	for _, r := range roots {
		e, err := BuildExecution(append([]jobdb.ExecutionRow{r}, below[r.ExecutionID]...))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// LifecycleCounts counts the database targets of every step by lifecycle.
func (e *Execution) LifecycleCounts() map[string]int {
	out := map[string]int{}
	for _, s := range e.Steps {
		for _, t := range s.Targets {
			if t.IsDatabase() {
				out[t.Lifecycle]++
			}
		}
	}
	return out
}
