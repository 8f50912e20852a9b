package jobdb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/golang-sql/civil"
)

// Finished is one row of jobs.job_executions that reached a final lifecycle: a job execution (the
// root row, without a step) or one of its step or target rows.
type Finished struct {
	Job        string
	Root       bool   // the job execution itself (step_id is NULL)
	Lifecycle  string // Succeeded, SucceededWithSkipped, Failed, TimedOut, Canceled or Skipped
	TargetType string // SqlDatabase for a row of one target database; "" on the root row
	Server     string // target_server_name
	Database   string // target_database_name
	End        time.Time
}

// finishedQuery reads only columns Microsoft documents for jobs.job_executions ("Jobs views" in
// the Elastic Jobs T-SQL reference); end_time is set exactly when a row is no longer active.
const finishedQuery = `SELECT job_name, step_id, lifecycle, target_type, target_server_name, target_database_name, end_time
FROM jobs.job_executions WHERE end_time > @since ORDER BY end_time`

// FinishedSince returns the execution rows that ended after since, oldest first, and the time to
// ask from next. A zero since reads no rows: it returns the job database's clock, the start of the
// first window, so history that ended before the caller started is not counted.
func (db *DB) FinishedSince(ctx context.Context, since time.Time) ([]Finished, time.Time, error) {
	if since.IsZero() {
		var now time.Time
		if err := db.sql.QueryRowContext(ctx, "SELECT SYSUTCDATETIME()").Scan(&now); err != nil {
			return nil, since, fmt.Errorf("read the job database clock: %w", err)
		}
		return nil, now.UTC(), nil
	}
	// datetime2, the column's type: a time.Time would travel as datetimeoffset.
	rows, err := db.sql.QueryContext(ctx, finishedQuery, sql.Named("since", civil.DateTimeOf(since)))
	if err != nil {
		return nil, since, fmt.Errorf("read job executions: %w", err)
	}
	defer rows.Close()
	var out []Finished
	next := since
	for rows.Next() {
		var f Finished
		var step sql.NullInt64
		var target, server, database sql.NullString
		if err := rows.Scan(&f.Job, &step, &f.Lifecycle, &target, &server, &database, &f.End); err != nil {
			return nil, since, fmt.Errorf("read job executions: %w", err)
		}
		f.Root, f.TargetType, f.Server, f.Database, f.End = !step.Valid, target.String, server.String, database.String, f.End.UTC()
		out = append(out, f)
		if f.End.After(next) {
			next = f.End
		}
	}
	if err := rows.Err(); err != nil {
		return nil, since, fmt.Errorf("read job executions: %w", err)
	}
	return out, next, nil
}
