package jobdb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/golang-sql/civil"
)

// finishedQuery reads the execution rows (job, step and target rows) that ended after @since;
// end_time is set exactly when a row is no longer active.
var finishedQuery = `SELECT ` + executionColumns + `
WHERE e.end_time > @since ORDER BY e.end_time`

// FinishedSince returns the execution rows that ended after since, oldest first, and the time to
// ask from next. A zero since reads no rows: it returns the job database's clock, the start of the
// first window, so history that ended before the caller started is not counted.
func (db *DB) FinishedSince(ctx context.Context, since time.Time) ([]ExecutionRow, time.Time, error) {
	if since.IsZero() {
		var now time.Time
		err := db.op(ctx, func(ctx context.Context) error {
			return db.sql.QueryRowContext(ctx, "SELECT SYSUTCDATETIME()").Scan(&now)
		})
		if err != nil {
			return nil, since, fmt.Errorf("read the job database clock: %w", err)
		}
		return nil, now.UTC(), nil
	}
	// datetime2, the column's type: a time.Time would travel as datetimeoffset.
	rows, err := db.queryRows(ctx, finishedQuery, nil, sql.Named("since", civil.DateTimeOf(since)))
	if err != nil {
		return nil, since, fmt.Errorf("read finished job executions: %w", err)
	}
	next := since
	for _, r := range rows {
		if r.Ended.After(next) {
			next = r.Ended
		}
	}
	return rows, next, nil
}
