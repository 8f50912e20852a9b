package jobstore

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Options configures Open.
type Options struct {
	Now       func() time.Time // clock; default sqlval.Now (UTC)
	StatePath string           // "" = in memory; else load at Open and persist atomically on every commit
	Database  string           // database name used in error texts; default "jobdb"
}

// DB is an Elastic Jobs job database. It is safe for concurrent use by many sessions.
type DB struct {
	now      func() time.Time
	path     string
	dbName   string
	sealKey  []byte
	locks    *lockManager
	nextSess atomic.Int64

	mu       sync.RWMutex
	cur      *state        // committed state, never modified
	failNext *sqlval.Error // FailNextCommit
	calls    map[string]int
	closed   bool
	// stateLock holds the advisory lock on the state file while the database is open.
	stateLock *os.File
	blobs     blobCache     // encoded jobs and executions, reused between saves (under the write lock)
	commits   atomic.Uint64 // number of commits since Open
	changed   chan struct{} // closed at the next commit (under mu)
}

const writerKey = "\x00database write lock"

// Open opens a job database, loading Options.StatePath if the file exists.
func Open(opts Options) (*DB, error) {
	db := &DB{
		now:     opts.Now,
		path:    opts.StatePath,
		dbName:  opts.Database,
		locks:   newLockManager(),
		calls:   map[string]int{},
		changed: make(chan struct{}),
	}
	if db.now == nil {
		db.now = sqlval.Now
	}
	if db.dbName == "" {
		db.dbName = "jobdb"
	}
	if db.path != "" {
		if st, err := os.Stat(db.path); err == nil && st.IsDir() {
			return nil, fmt.Errorf("state file %s is a directory", db.path)
		}
		lock, err := lockState(db.path)
		if err != nil {
			return nil, err
		}
		db.stateLock = lock
		if err := removeStaleTemps(db.path); err != nil {
			db.Close()
			return nil, fmt.Errorf("remove temporary files beside state file %s: %w", db.path, err)
		}
	}
	st, key, err := load(db.path)
	if err != nil {
		db.Close()
		return nil, err
	}
	db.cur, db.sealKey = st, key
	return db, nil
}

// Close closes the database and releases its state file. Sessions must not be used afterwards.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.closed = true
	if db.stateLock != nil {
		err := db.stateLock.Close()
		db.stateLock = nil
		return err
	}
	return nil
}

// FailNextCommit makes the next commit of any session fail with err and roll back.
func (db *DB) FailNextCommit(err *sqlval.Error) {
	db.mu.Lock()
	db.failNext = err
	db.mu.Unlock()
}

// Calls returns the number of calls per procedure (lower case, with schema) since ResetCalls.
func (db *DB) Calls() map[string]int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := make(map[string]int, len(db.calls))
	for k, v := range db.calls {
		out[k] = v
	}
	return out
}

// ResetCalls clears the call counts.
func (db *DB) ResetCalls() {
	db.mu.Lock()
	db.calls = map[string]int{}
	db.mu.Unlock()
}

func (db *DB) countCall(proc string) {
	db.mu.Lock()
	db.calls[proc]++
	db.mu.Unlock()
}

func (db *DB) snapshot() *state {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.cur
}

// commit makes w the committed state, persisting it first. The caller holds the write lock, which
// serializes commits (and the blob cache); readers keep the old state until the swap.
func (db *DB) commit(w *state) *sqlval.Error {
	db.mu.Lock()
	f := db.failNext
	db.failNext = nil
	db.mu.Unlock()
	if f != nil {
		e := *f
		return &e
	}
	w.compactTables()
	if db.path != "" {
		if err := save(db.path, w, &db.blobs); err != nil {
			return &sqlval.Error{Number: 3314, State: 1, Class: 21,
				Message: fmt.Sprintf("During commit, an error occurred writing state file %q: %v.", db.path, err)}
		}
	}
	w.freeze()
	db.mu.Lock()
	db.cur = w
	db.commits.Add(1)
	close(db.changed)
	db.changed = make(chan struct{})
	db.mu.Unlock()
	return nil
}

// Commits is the number of commits since Open: a reader that saw this number has seen every
// change while it stays the same.
func (db *DB) Commits() uint64 { return db.commits.Load() }

// Changed returns the number of commits since Open and a channel closed at the next commit.
func (db *DB) Changed() (uint64, <-chan struct{}) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.commits.Load(), db.changed
}

// autocommit runs fn as its own transaction: under the write lock on a working copy that is
// committed when fn succeeds and discarded when it fails.
func (db *DB) autocommit(ctx context.Context, s *Session, fn func(w *state) *sqlval.Error) *sqlval.Error {
	code := db.locks.acquire(ctx, writerKey, lockOwner{s, ownerWriter}, modeExclusive, -1)
	if e := lockError(code, s.id); e != nil {
		return e
	}
	defer db.locks.release(writerKey, lockOwner{s, ownerWriter})
	w := db.snapshot().work()
	if err := fn(w); err != nil {
		return err
	}
	return db.commit(w)
}

func lockError(code int, spid int64) *sqlval.Error {
	switch code {
	case lockGranted, lockWaited:
		return nil
	case lockDeadlock:
		return sqlval.Errorf(1205, "Transaction (Process ID %d) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.", spid)
	case lockTimeout:
		return sqlval.Errorf(1222, "Lock request time out period exceeded.")
	default:
		return sqlval.Errorf(3980, "The request failed to run because the batch is aborted, this can be caused by abort signal sent from client, or another request is running in the same session, which makes the session busy.")
	}
}

// Session is one connection's view of the database: its transaction and its locks. Calls on one
// Session must not overlap.
type Session struct {
	db         *DB
	id         int64
	ctx        context.Context
	tran       int
	work       *state // working copy while the session holds the write lock
	rolledBack bool
}

// NewSession opens a session.
func (db *DB) NewSession() *Session {
	return &Session{db: db, id: db.nextSess.Add(1), ctx: context.Background()}
}

// SetContext sets the context used by the calls that take none (Insert, Update, Delete,
// CreateTable, credential statements …) while they wait for the database write lock. The engine
// sets it at the start of each request.
func (s *Session) SetContext(ctx context.Context) {
	if ctx == nil {
		ctx = context.Background()
	}
	s.ctx = ctx
}

// TranCount is @@TRANCOUNT.
func (s *Session) TranCount() int { return s.tran }

// RolledBack reports whether the last Call, Commit or write rolled back the session's transaction
// (a procedure THROW dooms the caller's transaction; a failed commit rolls back). It is cleared by
// the next Call, Begin, Commit or Rollback.
func (s *Session) RolledBack() bool { return s.rolledBack }

// Begin starts a transaction or, inside one, increments @@TRANCOUNT. The write lock is taken at
// the transaction's first write, so a transaction that only reads never blocks other writers.
func (s *Session) Begin(ctx context.Context) *sqlval.Error {
	s.rolledBack = false
	if ctx != nil && ctx.Err() != nil {
		return lockError(lockCanceled, s.id)
	}
	s.tran++
	return nil
}

// Commit decrements @@TRANCOUNT and commits when it reaches zero.
func (s *Session) Commit(ctx context.Context) *sqlval.Error {
	s.rolledBack = false
	if s.tran == 0 {
		return sqlval.Errorf(3902, "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.")
	}
	s.tran--
	if s.tran > 0 {
		return nil
	}
	var err *sqlval.Error
	if s.work != nil {
		err = s.db.commit(s.work)
	} else {
		s.db.mu.Lock()
		if f := s.db.failNext; f != nil {
			s.db.failNext = nil
			e := *f
			err = &e
		}
		s.db.mu.Unlock()
	}
	s.endTran()
	if err != nil {
		s.rolledBack = true
	}
	return err
}

// Rollback rolls back the whole transaction.
func (s *Session) Rollback(ctx context.Context) *sqlval.Error {
	s.rolledBack = false
	if s.tran == 0 {
		return sqlval.Errorf(3903, "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.")
	}
	s.endTran()
	return nil
}

// endTran discards the working copy (already committed or rolled back) and releases the
// transaction's locks.
func (s *Session) endTran() {
	s.tran = 0
	s.work = nil
	s.db.locks.releaseAll(s, ownerWriter, ownerTransaction)
}

// doom rolls back the session's transaction after an error inside a procedure.
func (s *Session) doom() {
	if s.tran > 0 {
		s.endTran()
		s.rolledBack = true
	}
}

// Close rolls back the open transaction and releases every lock of the session.
func (s *Session) Close() {
	s.Reset()
}

// Reset rolls back the open transaction and releases every lock; the session stays usable.
func (s *Session) Reset() {
	s.tran = 0
	s.work = nil
	s.rolledBack = false
	s.db.locks.releaseAll(s, ownerWriter, ownerTransaction, ownerSession)
}

// read returns the state the session sees: its own working copy, else the committed state.
func (s *Session) read() *state {
	if s.work != nil {
		return s.work
	}
	return s.db.snapshot()
}

// write runs fn against writable state: inside a transaction the session's working copy (taking
// the write lock at the first write), else an autocommitted copy. fn must not change the state when
// it returns an error, unless doomOnError is set: then the transaction is rolled back.
func (s *Session) write(ctx context.Context, doomOnError bool, fn func(w *state) *sqlval.Error) *sqlval.Error {
	s.rolledBack = false
	if s.tran == 0 {
		return s.db.autocommit(ctx, s, fn)
	}
	if s.work == nil {
		code := s.db.locks.acquire(ctx, writerKey, lockOwner{s, ownerWriter}, modeExclusive, -1)
		if e := lockError(code, s.id); e != nil {
			if code == lockDeadlock {
				s.doom()
			}
			return e
		}
		s.work = s.db.snapshot().work()
	}
	err := fn(s.work)
	if err != nil && doomOnError {
		s.doom()
	}
	return err
}
