package jobdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"
)

// ExecutionRow is one row of jobs.job_executions, read through the columns Microsoft documents
// (so the same query works on Azure), with the name of its step from jobs.jobstep_versions.
// NULL reads as the zero value.
type ExecutionRow struct {
	ExecutionID    string // job_execution_id, shared by the rows of one execution tree
	Job            string
	JobID          string
	JobVersion     int
	StepID         int // 0 on the job-level (root) row
	StepName       string
	Active         bool
	Lifecycle      string
	Created        time.Time
	Started        time.Time
	Ended          time.Time
	Attempts       int
	AttemptStarted time.Time
	NextAttempt    time.Time
	LastMessage    string
	TargetType     string // TargetGroup on step rows; SqlDatabase, SqlServer or SqlElasticPool below
	TargetID       string
	TargetGroup    string
	TargetServer   string
	TargetDatabase string
}

// executionRead names the documented columns of jobs.job_executions that rowScanner reads, in its
// order; the step name comes from jobs.jobstep_versions (see viewRead).
var executionRead = viewRead{view: "jobs.job_executions",
	cols: []string{"job_execution_id", "job_name", "job_id", "job_version", "step_id", "is_active", "lifecycle",
		"create_time", "start_time", "end_time", "current_attempts", "current_attempt_start_time", "next_attempt_start_time",
		"last_message", "target_type", "target_id", "target_group_name", "target_server_name", "target_database_name"}}

// executionColumns are the columns of executionRead, then the step name, and where they come from.
var executionColumns = "e." + strings.Join(executionRead.cols, ", e.") + `, s.step_name
FROM jobs.job_executions AS e
LEFT JOIN jobs.jobstep_versions AS s ON s.job_id = e.job_id AND s.job_version = e.job_version AND s.step_id = e.step_id`

// treeQuery reads a whole execution tree (the job row, its step rows and their target rows).
var treeQuery = `SELECT ` + executionColumns + `
WHERE e.job_execution_id = @id`

// rowScanner scans execution rows into variables allocated once per query; a poll reads
// thousands of rows.
type rowScanner struct {
	id, jobID                                     mssql.UniqueIdentifier
	targetID                                      mssql.NullUniqueIdentifier
	stepID                                        sql.NullInt64
	stepName, msg, ttype, group, server, database sql.NullString
	started, ended, attemptStarted, next          sql.NullTime
	r                                             ExecutionRow
	dest                                          []any
	last                                          [2]mssql.UniqueIdentifier // execution and job ids of the previous row
	lastStr                                       [2]string
}

// newRowScanner binds the columns of rows' result set by name (see bindColumns).
func newRowScanner(rows *sql.Rows) (*rowScanner, error) {
	s := &rowScanner{}
	s.dest = []any{&s.id, &s.r.Job, &s.jobID, &s.r.JobVersion, &s.stepID, &s.r.Active, &s.r.Lifecycle,
		&s.r.Created, &s.started, &s.ended, &s.r.Attempts, &s.attemptStarted, &s.next,
		&s.msg, &s.ttype, &s.targetID, &s.group, &s.server, &s.database, &s.stepName}
	var err error
	s.dest, err = bindColumns(rows, append(slices.Clip(executionRead.cols), "step_name"), s.dest)
	return s, err
}

// shared formats the i-th id shared by the rows of a tree once.
func (s *rowScanner) shared(i int, u mssql.UniqueIdentifier) string {
	if s.lastStr[i] == "" || s.last[i] != u {
		s.last[i], s.lastStr[i] = u, guidString(u)
	}
	return s.lastStr[i]
}

// guidString formats a GUID as mssql.UniqueIdentifier.String does, without fmt.
func guidString(u mssql.UniqueIdentifier) string {
	const digits = "0123456789ABCDEF"
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = digits[c>>4], digits[c&0xf]
		j += 2
	}
	return string(b[:])
}

func (s *rowScanner) scan(rows *sql.Rows) (ExecutionRow, error) {
	if err := rows.Scan(s.dest...); err != nil {
		return ExecutionRow{}, err
	}
	r := s.r
	r.ExecutionID, r.JobID = s.shared(0, s.id), s.shared(1, s.jobID)
	if s.targetID.Valid {
		r.TargetID = guidString(s.targetID.UUID)
	}
	r.StepID, r.StepName, r.LastMessage = int(s.stepID.Int64), s.stepName.String, s.msg.String
	r.TargetType, r.TargetGroup, r.TargetServer, r.TargetDatabase = s.ttype.String, s.group.String, s.server.String, s.database.String
	r.Created = r.Created.UTC()
	r.Started, r.Ended = utcOrZero(s.started), utcOrZero(s.ended)
	r.AttemptStarted, r.NextAttempt = utcOrZero(s.attemptStarted), utcOrZero(s.next)
	return r, nil
}

func utcOrZero(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// ParseExecutionID checks that s is a job_execution_id (a GUID, 8-4-4-4-12 hex digits) and returns
// it as the job database's driver sends it.
func ParseExecutionID(s string) (mssql.UniqueIdentifier, error) {
	var u mssql.UniqueIdentifier
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("%q is not an execution id (a GUID such as 6F9619FF-8B86-D011-B42D-00C04FC964FF)", s)
	}
	if err := u.Scan(s); err != nil {
		return u, fmt.Errorf("%q is not an execution id: %w", s, err)
	}
	return u, nil
}

// ErrNoExecution is returned when the job database has no execution with the id asked for.
var ErrNoExecution = errors.New("no such execution")

const startBatch = `SET NOCOUNT ON;
DECLARE @id uniqueidentifier;
EXEC jobs.sp_start_job @job_name = @job, @job_execution_id = @id OUTPUT;
SELECT @id AS job_execution_id;`

// StartJob starts the job's current version with jobs.sp_start_job and returns the new
// job_execution_id.
func (db *DB) StartJob(ctx context.Context, job string) (string, error) {
	// @job_execution_id is also an input: it must go in NULL, or the job database takes its value
	// as the new execution's id.
	var id mssql.NullUniqueIdentifier
	err := db.op(ctx, func(ctx context.Context) error {
		return db.sql.QueryRowContext(ctx, startBatch, sql.Named("job", job)).Scan(&id)
	})
	if err != nil {
		return "", fmt.Errorf("start job %q: %w", job, err)
	}
	if !id.Valid {
		return "", fmt.Errorf("start job %q: the job database returned no execution id", job)
	}
	return id.UUID.String(), nil
}

// StopJob asks the agent to cancel an execution with jobs.sp_stop_job; the agent cancels it
// asynchronously. It returns ErrNoExecution for an unknown id.
func (db *DB) StopJob(ctx context.Context, id string) error {
	u, err := ParseExecutionID(id)
	if err != nil {
		return err
	}
	err = db.op(ctx, func(ctx context.Context) error {
		_, err := db.sql.ExecContext(ctx, "jobs.sp_stop_job", sql.Named("job_execution_id", u))
		return err
	})
	if err != nil {
		var se mssql.Error
		if errors.As(err, &se) && se.Number == 547 {
			return fmt.Errorf("stop execution %s: %w", id, ErrNoExecution)
		}
		return fmt.Errorf("stop execution %s: %w", id, err)
	}
	return nil
}

// ExecutionTree reads every row of one execution, in one round trip. It returns ErrNoExecution
// when there is none.
func (db *DB) ExecutionTree(ctx context.Context, id string) ([]ExecutionRow, error) {
	u, err := ParseExecutionID(id)
	if err != nil {
		return nil, err
	}
	out, err := db.queryRows(ctx, treeQuery, nil, sql.Named("id", u))
	if err != nil {
		return nil, fmt.Errorf("read execution %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read execution %s: %w", id, ErrNoExecution)
	}
	return out, nil
}

// queryRows runs one query of execution rows, bounded by OpTimeout, and appends its rows to out.
func (db *DB) queryRows(ctx context.Context, query string, out []ExecutionRow, args ...any) ([]ExecutionRow, error) {
	err := db.op(ctx, func(ctx context.Context) error {
		rows, err := db.sql.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		sc, err := newRowScanner(rows)
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := sc.scan(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// ExecutionFilter selects the job-level rows that RecentExecutions lists.
type ExecutionFilter struct {
	Job   string    // "" for every job
	Last  int       // at most this many, the most recent first
	Since time.Time // zero for no limit: created at or after
	// Lifecycles keeps only these lifecycles; empty keeps all.
	Lifecycles []string
}

// RecentExecutions lists the job-level rows that match f, the most recently created first, with
// the step and target rows below them (two round trips).
func (db *DB) RecentExecutions(ctx context.Context, f ExecutionFilter) (roots []ExecutionRow, children []ExecutionRow, err error) {
	var where []string
	var args []any
	where = append(where, "e.step_id IS NULL")
	if f.Job != "" {
		where = append(where, "e.job_name = @job")
		args = append(args, sql.Named("job", f.Job))
	}
	if !f.Since.IsZero() {
		where = append(where, "e.create_time >= @since")
		args = append(args, sql.Named("since", civil.DateTimeOf(f.Since.UTC())))
	}
	if len(f.Lifecycles) > 0 {
		var in []string
		for i, l := range f.Lifecycles {
			in = append(in, fmt.Sprintf("@l%d", i))
			args = append(args, sql.Named(fmt.Sprintf("l%d", i), l))
		}
		where = append(where, "e.lifecycle IN ("+strings.Join(in, ", ")+")")
	}
	args = append(args, sql.Named("last", int32(f.Last)))
	q := "SELECT TOP (@last) " + executionColumns + "\nWHERE " + strings.Join(where, " AND ") + "\nORDER BY e.create_time DESC"
	roots, err = db.queryRows(ctx, q, nil, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list executions: %w", err)
	}
	if len(roots) == 0 {
		return roots, nil, nil
	}
	var in []string
	args = args[:0]
	for i, r := range roots {
		u, err := ParseExecutionID(r.ExecutionID)
		if err != nil {
			return nil, nil, err
		}
		in = append(in, fmt.Sprintf("@x%d", i))
		args = append(args, sql.Named(fmt.Sprintf("x%d", i), u))
	}
	q = "SELECT " + executionColumns + "\nWHERE e.step_id IS NOT NULL AND e.job_execution_id IN (" + strings.Join(in, ", ") + ")"
	children, err = db.queryRows(ctx, q, nil, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list executions: %w", err)
	}
	return roots, children, nil
}
