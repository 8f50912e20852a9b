package jobdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// Tx is one apply: a transaction with XACT_ABORT ON holding ejops' application lock, on one
// connection of the pool. Its writes travel in batches (see Send).
type Tx struct {
	db        *DB
	conn      *sql.Conn
	opTimeout time.Duration
	// broken says a request ended without the server's answer (a lost connection, a timeout,
	// an interrupt): the connection is then closed rather than rolled back and reused.
	broken   bool
	closed   bool // committed or rolled back
	Calls    int  // procedure calls and statements sent
	Requests int  // requests sent: the lock with the read, the batches, the commit
}

// LockResource is the application lock every apply holds.
const LockResource = "ejops.apply"

// lockBatch opens the transaction and takes the apply lock ("sp_getapplock (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-getapplock-transact-sql),
// waiting %d milliseconds. Its first result set is the lock's status; when it is negative the
// batch rolls back and ends, otherwise readBatch follows under the lock.
const lockBatch = `SET XACT_ABORT ON;
BEGIN TRANSACTION;
DECLARE @ejops_lock int;
EXEC @ejops_lock = sp_getapplock @Resource = N'` + LockResource + `', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = %d;
SELECT @ejops_lock AS lock_status;
IF @ejops_lock < 0 BEGIN ROLLBACK TRANSACTION; RETURN; END
`

// Begin opens a transaction with XACT_ABORT ON, takes the apply lock, waiting up to wait, and
// reads the live state under it, all in one request bounded by OpTimeout plus wait. The
// transaction lives as long as ctx; each later request in it is bounded by OpTimeout.
func (db *DB) Begin(ctx context.Context, wait time.Duration) (*Tx, *State, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("begin transaction: %w", err)
	}
	t := &Tx{db: db, conn: conn, opTimeout: db.OpTimeout}
	st, err := t.lockAndRead(ctx, wait)
	if err != nil {
		_ = t.Rollback()
		return nil, nil, err
	}
	return t, st, nil
}

// lockAndRead sends lockBatch and readBatch as one request.
func (t *Tx) lockAndRead(ctx context.Context, wait time.Duration) (*State, error) {
	d := t.opTimeout
	if d > 0 {
		d += wait
	}
	octx, cancel := bound(ctx, d)
	defer cancel()
	t.Requests++
	rows, err := t.conn.QueryContext(octx, fmt.Sprintf(lockBatch, wait.Milliseconds())+readBatch)
	if err != nil {
		return nil, t.failed(ctx, octx, d, "take the apply lock", err)
	}
	defer rows.Close()
	var rc int64
	if !rows.Next() {
		err := rows.Err()
		if err == nil {
			err = errors.New("sp_getapplock reported no status")
		}
		return nil, t.failed(ctx, octx, d, "take the apply lock", err)
	}
	if err := rows.Scan(&rc); err != nil {
		return nil, fmt.Errorf("take the apply lock: %w", err)
	}
	for rows.Next() { // go-mssqldb moves to the next result set only from the end of this one
	}
	if rc < 0 {
		reason := map[int64]string{
			-1: fmt.Sprintf("another apply still holds it after %s (--lock-wait)", wait),
			-2: "the request was canceled",
			-3: "chosen as a deadlock victim",
		}[rc]
		if reason == "" {
			reason = "sp_getapplock rejected the request"
		}
		return nil, fmt.Errorf("take the apply lock: %s (sp_getapplock returned %d)", reason, rc)
	}
	if !rows.NextResultSet() {
		err := rows.Err()
		if err == nil {
			err = errors.New("result set 1 is missing")
		}
		return nil, t.failed(ctx, octx, d, "read job database", err)
	}
	st, err := scanState(rows)
	if err == nil {
		err = rows.Close()
	}
	if err != nil {
		return nil, t.failed(ctx, octx, d, "read job database", err)
	}
	return st, nil
}

// failed notes how a request of the transaction failed and names what it did: a *TimeoutError
// when its bound ended it; any failure without the server's answer breaks the connection.
func (t *Tx) failed(ctx, octx context.Context, d time.Duration, what string, err error) error {
	if ErrorNumber(err) == 0 {
		t.broken = true
	}
	err = timedOut(ctx, octx, d, err)
	var te *TimeoutError
	if errors.As(err, &te) {
		te.Op = what
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Commit commits the transaction, releasing the lock, and gives the connection back to the pool.
// After DB.Close it rolls back instead and returns ErrClosed.
func (t *Tx) Commit(ctx context.Context) error {
	if t.db.closed.Load() {
		_ = t.Rollback()
		return fmt.Errorf("commit: %w: nothing was committed", ErrClosed)
	}
	if ctx.Err() != nil {
		_ = t.Rollback()
		return fmt.Errorf("commit: %w", context.Cause(ctx)) // not sent: nothing was committed
	}
	octx, cancel := bound(ctx, t.opTimeout)
	defer cancel()
	t.Requests++
	_, err := t.conn.ExecContext(octx, "COMMIT TRANSACTION")
	if err != nil {
		t.broken = t.broken || ErrorNumber(err) == 0
		_ = t.Rollback()
		if ErrorNumber(err) == 0 {
			// No answer from the server: the connection went during COMMIT.
			return &CommitUnknownError{Err: timedOut(ctx, octx, t.opTimeout, err)}
		}
		return fmt.Errorf("commit: %w", err)
	}
	t.closed = true
	return t.conn.Close()
}

// CommitUnknownError is a COMMIT the server never answered: it may or may not have committed.
type CommitUnknownError struct{ Err error }

func (e *CommitUnknownError) Error() string {
	return fmt.Sprintf("commit: no answer from the job database (%v): the changes may or may not have been committed; run plan to see what it holds", e.Err)
}
func (e *CommitUnknownError) Unwrap() error { return e.Err }

// Rollback rolls everything back and gives up the connection. When the connection may be in an
// unknown state it is closed instead, which makes the server roll back and release the lock.
func (t *Tx) Rollback() error {
	if t.closed {
		return nil
	}
	t.closed = true
	if !t.broken {
		ctx, cancel := bound(context.Background(), t.opTimeout)
		defer cancel()
		_, err := t.conn.ExecContext(ctx, "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION")
		if err == nil {
			return t.conn.Close()
		}
	}
	// Returning driver.ErrBadConn from Raw makes database/sql close the connection.
	_ = t.conn.Raw(func(any) error { return driver.ErrBadConn })
	return t.conn.Close()
}
