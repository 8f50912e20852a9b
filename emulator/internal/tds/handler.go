package tds

import (
	"context"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Handler authenticates logins and opens sessions; the job database implements it.
type Handler interface {
	// Login checks the credentials of a LOGIN7 request. A non-nil error (18456 for a bad password)
	// is sent to the client and the connection is closed.
	Login(user, password, database string) (Session, *sqlval.Error)
}

// Session is the server side of one client connection. Calls on one Session never overlap.
// ctx is canceled when the client sends an ATTENTION.
type Session interface {
	// Batch runs a SQL batch.
	Batch(ctx context.Context, sql string) sqlval.Reply
	// RPC runs a procedure by name, including sp_executesql (name "sp_executesql", whose first two
	// parameters are the statement and the parameter declarations, with empty names).
	RPC(ctx context.Context, name string, params []sqlval.Param) sqlval.Reply
	// Begin, Commit and Rollback are transaction manager requests. Begin returns the new
	// transaction's descriptor.
	Begin(ctx context.Context, isolation byte) (uint64, *sqlval.Error)
	Commit(ctx context.Context) *sqlval.Error
	Rollback(ctx context.Context) *sqlval.Error
	// Reset clears per-session state (the RESETCONNECTION status bit): it rolls back an open
	// transaction and releases session-owned locks.
	Reset()
	// Close is called once when the connection ends, for any reason.
	Close()
}
