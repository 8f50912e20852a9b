package jobstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Lifecycle values of jobs.job_executions [D][S].
const (
	Created                      = "Created"
	InProgress                   = "InProgress"
	WaitingForRetry              = "WaitingForRetry"
	WaitingForChildJobExecutions = "WaitingForChildJobExecutions"
	Succeeded                    = "Succeeded"
	SucceededWithSkipped         = "SucceededWithSkipped"
	Failed                       = "Failed"
	TimedOut                     = "TimedOut"
	Canceled                     = "Canceled"
	Skipped                      = "Skipped"
)

// IsActive reports whether a lifecycle value is non-terminal (is_active = 1).
func IsActive(lifecycle string) bool {
	switch lifecycle {
	case Created, InProgress, WaitingForRetry, WaitingForChildJobExecutions:
		return true
	}
	return false
}

func validLifecycle(l string) bool {
	switch l {
	case Created, InProgress, WaitingForRetry, WaitingForChildJobExecutions,
		Succeeded, SucceededWithSkipped, Failed, TimedOut, Canceled, Skipped:
		return true
	}
	return false
}

// Execution is one row of the execution tree: a root (job-level) row made by sp_start_job, and
// below it step rows and target rows that the agent adds. An agent simulation polls Executions for
// active rows, reads the executed version's steps from Relation("jobs.jobstep_versions") and the
// members from Relation("jobs.target_group_members"), adds rows with AddExecution, moves their
// lifecycle with UpdateExecution (or does both, many rows per commit, in a Batch), honours
// CancelRequested, and starts scheduled runs with StartJob. All rows of one run share ExecutionID,
// the job_execution_id of jobs.job_executions; Key tells rows apart. Zero values stand for NULL in
// the view: a zero time, an empty string, a zero UUID, StepID 0.
type Execution struct {
	Key         int64       // unique row key, assigned by AddExecution (and sp_start_job)
	Parent      int64       // parent row's Key; 0 for the root
	ExecutionID sqlval.UUID // job_execution_id: the root's id, shared by the whole tree
	JobID       sqlval.UUID
	JobVersion  int64 // version being executed
	StepID      int64 // 0 for the root row
	StepName    string

	Lifecycle               string // one of the lifecycle constants; is_active follows from it
	CreateTime              time.Time
	StartTime               time.Time
	EndTime                 time.Time // set when the row becomes inactive
	CurrentAttempts         int64
	CurrentAttemptStartTime time.Time
	NextAttemptStartTime    time.Time
	LastMessage             string

	TargetType          string // SqlDatabase, SqlServer or SqlElasticPool; "" (NULL) on job and step rows
	TargetID            sqlval.UUID
	TargetGroupName     string
	TargetSubscription  sqlval.UUID
	TargetResourceGroup string
	TargetServer        string
	TargetDatabase      string
	TargetElasticPool   string
}

// Executions returns a copy of the committed execution rows that match keep (nil keeps all),
// ordered by Key. Rows of deleted jobs are included.
func (db *DB) Executions(keep func(*Execution) bool) []Execution {
	st := db.snapshot()
	out := make([]Execution, 0, st.Execs.len())
	st.Execs.each(func(_ int64, e *Execution) bool {
		if keep == nil || keep(e) {
			out = append(out, *e)
		}
		return true
	})
	sort.Slice(out, func(a, b int) bool { return out[a].Key < out[b].Key })
	return out
}

// CancelRequested reports whether sp_stop_job (or sp_delete_job @force=1) asked to cancel the run
// with this job_execution_id, and when.
func (db *DB) CancelRequested(executionID sqlval.UUID) (time.Time, bool) {
	t, ok := db.snapshot().Cancels.get(executionID)
	return t, ok
}

// datetime2 is t in UTC at 100 ns precision; the zero time stays zero (NULL).
func datetime2(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(100 * time.Nanosecond)
}

// ErrNoExecution is returned by UpdateExecution for an unknown key.
var ErrNoExecution = errors.New("no such execution")

// AddExecution adds a step or target row below an existing row (Parent must be set) and commits
// it. ExecutionID, JobID and JobVersion are copied from the parent when zero, CreateTime defaults to
// now, and EndTime to now for an inactive lifecycle. It returns the new row's Key.
func (db *DB) AddExecution(ctx context.Context, e Execution) (int64, error) {
	var key int64
	s := db.NewSession()
	defer s.Close()
	err := db.autocommit(ctx, s, func(w *state) *sqlval.Error {
		k, err := db.addExec(w, e)
		key = k
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("add execution: %w", err)
	}
	return key, nil
}

// addExec adds e to w as AddExecution describes and returns its key.
func (db *DB) addExec(w *state, e Execution) (int64, *sqlval.Error) {
	p := w.exec(e.Parent)
	if p == nil {
		return 0, sqlval.Errorf(547, "parent execution %d does not exist", e.Parent)
	}
	if e.ExecutionID == (sqlval.UUID{}) {
		e.ExecutionID = p.ExecutionID
	}
	if e.JobID == (sqlval.UUID{}) {
		e.JobID = p.JobID
	}
	if e.JobVersion == 0 {
		e.JobVersion = p.JobVersion
	}
	if e.CreateTime.IsZero() {
		e.CreateTime = db.now().UTC()
	}
	if err := db.fixExecution(&e); err != nil {
		return 0, err
	}
	e.Key = w.nextSeq()
	w.putExec(&e)
	return e.Key, nil
}

func (db *DB) fixExecution(e *Execution) *sqlval.Error {
	if !validLifecycle(e.Lifecycle) {
		return sqlval.Errorf(547, "invalid lifecycle %q", e.Lifecycle)
	}
	// Strings are cut to their view column sizes.
	for _, f := range []struct {
		p *string
		n int
	}{{&e.StepName, 128}, {&e.TargetType, 128}, {&e.TargetGroupName, 128}, {&e.TargetServer, 256},
		{&e.TargetDatabase, 128}, {&e.TargetResourceGroup, 128}, {&e.TargetElasticPool, 128}} {
		*f.p = sqlval.Truncate(*f.p, f.n)
	}
	if e.CurrentAttempts < math.MinInt32 || e.CurrentAttempts > math.MaxInt32 {
		return sqlval.Errorf(8115, "Arithmetic overflow error converting expression to data type int.")
	}
	e.CreateTime = datetime2(e.CreateTime)
	e.StartTime = datetime2(e.StartTime)
	e.EndTime = datetime2(e.EndTime)
	e.CurrentAttemptStartTime = datetime2(e.CurrentAttemptStartTime)
	e.NextAttemptStartTime = datetime2(e.NextAttemptStartTime)
	if IsActive(e.Lifecycle) {
		e.EndTime = time.Time{}
	} else if e.EndTime.IsZero() {
		e.EndTime = db.now().UTC()
	}
	return nil
}

// UpdateExecution changes the row with the given key through fn and commits it. Key, Parent,
// ExecutionID and JobID cannot change. EndTime is set to now when the row becomes inactive and
// cleared while it is active.
func (db *DB) UpdateExecution(ctx context.Context, key int64, fn func(e *Execution) error) error {
	s := db.NewSession()
	defer s.Close()
	var fnErr error
	err := db.autocommit(ctx, s, func(w *state) *sqlval.Error {
		var err *sqlval.Error
		err, fnErr = db.updateExec(w, key, fn)
		return err
	})
	if fnErr != nil {
		return fmt.Errorf("update execution %d: %w", key, fnErr)
	}
	if err != nil {
		return fmt.Errorf("update execution %d: %w", key, err)
	}
	return nil
}

// updateExec changes row key of w through fn as UpdateExecution describes. fnErr is ErrNoExecution
// or fn's error; w is unchanged when either result is not nil.
func (db *DB) updateExec(w *state, key int64, fn func(e *Execution) error) (err *sqlval.Error, fnErr error) {
	old := w.exec(key)
	if old == nil {
		return sqlval.Errorf(547, "no execution %d", key), ErrNoExecution
	}
	e := *old
	if err := fn(&e); err != nil {
		return sqlval.Errorf(50000, "update rejected"), err
	}
	e.Key, e.Parent, e.ExecutionID, e.JobID = old.Key, old.Parent, old.ExecutionID, old.JobID
	if err := db.fixExecution(&e); err != nil {
		return err, nil
	}
	w.putExec(&e)
	return nil, nil
}

// Batch is a set of execution changes that DB.Batch commits together. Its methods must not be
// used after the function given to DB.Batch returned.
type Batch struct {
	db  *DB
	ctx context.Context
	s   *Session
	w   *state // working copy, from the first change on
}

// Batch runs fn and commits the execution rows it added and changed in one transaction: one
// write of the state file however many rows changed. The database write lock is taken at the
// first change and held until the commit, so nothing is committed (and no other writer waits) when
// fn changes nothing. When fn returns an error, every change of the batch is discarded and the
// error returned.
func (db *DB) Batch(ctx context.Context, fn func(b *Batch) error) error {
	s := db.NewSession()
	defer s.Close()
	b := &Batch{db: db, ctx: ctx, s: s}
	if err := fn(b); err != nil {
		return err
	}
	if b.w == nil {
		return nil
	}
	if err := db.commit(b.w); err != nil {
		return fmt.Errorf("commit execution batch: %w", err)
	}
	return nil
}

// work returns the batch's working copy, taking the write lock the first time.
func (b *Batch) work() (*state, *sqlval.Error) {
	if b.w == nil {
		code := b.db.locks.acquire(b.ctx, writerKey, lockOwner{b.s, ownerWriter}, modeExclusive, -1)
		if e := lockError(code, b.s.id); e != nil {
			return nil, e
		}
		b.w = b.db.snapshot().work()
	}
	return b.w, nil
}

// AddExecution is DB.AddExecution inside the batch: the row is visible to the batch's later calls
// and committed with the batch. A failed call leaves the batch unchanged.
func (b *Batch) AddExecution(e Execution) (int64, error) {
	w, err := b.work()
	if err == nil {
		var key int64
		if key, err = b.db.addExec(w, e); err == nil {
			return key, nil
		}
	}
	return 0, fmt.Errorf("add execution: %w", err)
}

// UpdateExecution is DB.UpdateExecution inside the batch. A failed call leaves the batch
// unchanged.
func (b *Batch) UpdateExecution(key int64, fn func(e *Execution) error) error {
	w, err := b.work()
	if err != nil {
		return fmt.Errorf("update execution %d: %w", key, err)
	}
	err, fnErr := b.db.updateExec(w, key, fn)
	if fnErr != nil {
		return fmt.Errorf("update execution %d: %w", key, fnErr)
	}
	if err != nil {
		return fmt.Errorf("update execution %d: %w", key, err)
	}
	return nil
}

// SetJobEnabled turns a job's schedule on or off, as the agent does after a Once job ran.
func (db *DB) SetJobEnabled(ctx context.Context, jobID sqlval.UUID, enabled bool) error {
	s := db.NewSession()
	defer s.Close()
	err := db.autocommit(ctx, s, func(w *state) *sqlval.Error {
		old := w.job(jobID)
		if old == nil {
			return sqlval.Errorf(50000, "job %s was not found", jobID)
		}
		j := *old
		j.Enabled = enabled
		putJob(w, &j)
		return nil
	})
	if err != nil {
		return fmt.Errorf("set job enabled: %w", err)
	}
	return nil
}

// StartJob starts a job by id as the scheduler does, like sp_start_job, and returns the new
// job_execution_id.
func (db *DB) StartJob(ctx context.Context, jobID sqlval.UUID) (sqlval.UUID, error) {
	s := db.NewSession()
	defer s.Close()
	st := db.snapshot()
	j := st.job(jobID)
	if j == nil || j.DeletedAt != nil {
		return sqlval.UUID{}, fmt.Errorf("start job %s: not found", jobID)
	}
	res, err := s.Call(ctx, "jobs.sp_start_job", []Arg{{Name: "job_name", Value: j.Name}, {Name: "job_execution_id", Output: true}})
	if err != nil {
		return sqlval.UUID{}, fmt.Errorf("start job %s: %w", jobID, err)
	}
	id, _ := res.Outputs["job_execution_id"].(sqlval.UUID)
	return id, nil
}
