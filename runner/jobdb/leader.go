package jobdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	mssql "github.com/microsoft/go-mssqldb"
)

// LeaderResource is the application lock the replicas of apply --watch elect their leader with. It
// is not LockResource: the leader still takes the apply lock for each apply, so applies run by hand
// stay serialised with the leader's.
const LeaderResource = "ejops.leader"

// Leader is a held leadership: a session-owned application lock on a connection of its own. The
// lock lasts as long as that session, so a leader whose process dies or whose connection breaks
// leaves it to the next replica that asks.
type Leader struct {
	conn     *sql.Conn
	resource string
}

// TryLead asks once, without waiting, for the leader lock on a dedicated connection. It returns nil
// and no error when another session holds it.
//
// sp_getapplock with @LockOwner = 'Session' holds the lock until sp_releaseapplock or until the
// session ends; @LockTimeout = 0 returns -1 at once when it is held elsewhere (Microsoft's
// "sp_getapplock (Transact-SQL)" page).
func (db *DB) TryLead(ctx context.Context, resource string) (*Leader, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect for the leader lock: %w", err)
	}
	var rc mssql.ReturnStatus
	_, err = conn.ExecContext(ctx, "sp_getapplock",
		sql.Named("Resource", resource), sql.Named("LockMode", "Exclusive"),
		sql.Named("LockOwner", "Session"), sql.Named("LockTimeout", int32(0)), &rc)
	if err != nil {
		discard(conn)
		return nil, fmt.Errorf("take the leader lock: %w", err)
	}
	if rc < 0 {
		// Nothing is held on this session, so it may go back to the pool.
		_ = conn.Close()
		if rc == -1 {
			return nil, nil
		}
		return nil, fmt.Errorf("take the leader lock: sp_getapplock returned %d", rc)
	}
	return &Leader{conn: conn, resource: resource}, nil
}

// Check makes one round trip on the leader's session: an error means the session, and with it the
// lock, may be gone.
func (l *Leader) Check(ctx context.Context) error {
	if err := l.conn.PingContext(ctx); err != nil {
		return fmt.Errorf("leader session: %w", err)
	}
	return nil
}

// Release gives the lock up and closes its connection. The connection is never handed back to the
// pool: whatever happens to sp_releaseapplock, no pooled session keeps the lock.
func (l *Leader) Release(ctx context.Context) error {
	var rc mssql.ReturnStatus
	_, err := l.conn.ExecContext(ctx, "sp_releaseapplock",
		sql.Named("Resource", l.resource), sql.Named("LockOwner", "Session"), &rc)
	discard(l.conn)
	return err
}

// discard closes a dedicated connection so that the pool drops it instead of reusing it.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
