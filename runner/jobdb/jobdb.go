package jobdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/azuread"
)

// DefaultEmbeddedState is where the embedded job database keeps its state, relative to the current
// directory.
const DefaultEmbeddedState = ".ejops/jobdb.json"

// EmbeddedOpener opens the in-process emulator for a state file. The command line sets it, so this
// package does not depend on the emulator.
type EmbeddedOpener func(statePath string) (driver.Connector, func() error, error)

// DB is a connection pool to one job database.
type DB struct {
	sql      *sql.DB
	closer   func() error
	Embedded string // state file of the embedded job database, empty for a real one
	// OpTimeout bounds each operation: a read, a call, a statement; zero sets no bound.
	OpTimeout time.Duration
	closed    atomic.Bool // Close was called: transactions begun before may no longer commit
}

// ErrClosed is the error of a commit asked for after DB.Close.
var ErrClosed = errors.New("the job database connection is closed")

// Open connects to the job database named by dsn: "" or "embedded:PATH" for the embedded emulator,
// "sqlserver://…" or "azuresql://…?fedauth=…" for a real one. Nothing is sent until the first call.
// A malformed address is an *AddressError.
func Open(dsn string, embedded EmbeddedOpener) (*DB, error) {
	if dsn == "" || strings.HasPrefix(dsn, "embedded:") {
		path := EmbeddedPath(dsn)
		if embedded == nil {
			return nil, errors.New("the embedded job database is not available in this build")
		}
		c, closer, err := embedded(path)
		if err != nil {
			return nil, fmt.Errorf("open embedded job database %s: %w", path, err)
		}
		return &DB{sql: sql.OpenDB(c), closer: closer, Embedded: path}, nil
	}
	c, err := connector(dsn)
	if err != nil {
		return nil, err
	}
	return &DB{sql: sql.OpenDB(c)}, nil
}

// EmbeddedPath is the state file an "embedded:PATH" address (or "") names.
func EmbeddedPath(dsn string) string {
	if path := strings.TrimPrefix(dsn, "embedded:"); path != "" {
		return path
	}
	return DefaultEmbeddedState
}

// AddressError is a job database address that cannot be used, whatever the server says. Its
// message never holds the address's password.
type AddressError struct{ Err error }

func (e *AddressError) Error() string { return "job database address: " + e.Err.Error() }
func (e *AddressError) Unwrap() error { return e.Err }

// CheckAddress reports an *AddressError when dsn is malformed, without connecting.
func CheckAddress(dsn string) error {
	if dsn == "" || strings.HasPrefix(dsn, "embedded:") {
		return nil
	}
	_, err := connector(dsn)
	return err
}

// connector parses a sqlserver:// or azuresql:// address into a go-mssqldb connector.
func connector(dsn string) (driver.Connector, error) {
	if !strings.HasPrefix(dsn, "sqlserver://") && !strings.HasPrefix(dsn, "azuresql://") {
		return nil, &AddressError{errors.New("it must start with sqlserver://, azuresql:// or embedded:PATH")}
	}
	entra, u, err := connectionURL(dsn)
	if err != nil {
		return nil, &AddressError{redact(err, dsn)}
	}
	var c driver.Connector
	if entra {
		c, err = azuread.NewConnector(u)
	} else {
		c, err = mssql.NewConnector(u)
	}
	if err != nil {
		return nil, &AddressError{redact(err, dsn)}
	}
	return c, nil
}

// connectionURL turns a job database address into the sqlserver:// URL go-mssqldb reads and says
// whether it signs in with Microsoft Entra: azuresql:// addresses always do (fedauth defaults to
// ActiveDirectoryDefault, the default credential chain), sqlserver:// ones when they name a fedauth.
func connectionURL(dsn string) (entra bool, _ string, _ error) {
	u, err := url.Parse(dsn)
	if err != nil {
		// url.Error repeats the whole address, password included: keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return false, "", err
	}
	if u.Host == "" {
		return false, "", errors.New("no server in the address")
	}
	q := u.Query()
	if u.Scheme == "azuresql" {
		u.Scheme = "sqlserver"
		if q.Get("fedauth") == "" {
			q.Set("fedauth", "ActiveDirectoryDefault")
		}
		u.RawQuery = q.Encode()
	}
	return q.Get("fedauth") != "", u.String(), nil
}

// redact keeps a DSN's passwords (user info and password parameters) out of an error message.
func redact(err error, dsn string) error {
	msg := err.Error()
	u, perr := url.Parse(dsn)
	if perr != nil {
		return err // connectionURL already reduced a parse error to its reason
	}
	var secrets []string
	if p, ok := u.User.Password(); ok {
		secrets = append(secrets, p, url.QueryEscape(p), url.PathEscape(p))
	}
	for k, vs := range u.Query() {
		if strings.EqualFold(k, "password") || strings.Contains(strings.ToLower(k), "secret") {
			for _, v := range vs {
				secrets = append(secrets, v, url.QueryEscape(v))
			}
		}
	}
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "(redacted)")
		}
	}
	return errors.New(msg)
}

// Close closes the pool and, for the embedded job database, the emulator. A transaction begun
// before may only roll back: its Commit returns ErrClosed and sends nothing.
func (db *DB) Close() error {
	db.closed.Store(true)
	err := db.sql.Close()
	if db.closer != nil {
		if cerr := db.closer(); err == nil {
			err = cerr
		}
	}
	return err
}

// readBatch reads everything in one round trip. The inventory table may not exist yet; SQL Server
// resolves names when the statement runs, so the guarded SELECT is skipped then.
//
// The first result set also names the job database, @@SERVERNAME ("@@SERVERNAME (Transact-SQL)",
// https://learn.microsoft.com/sql/t-sql/functions/servername-transact-sql) and DB_NAME() ("DB_NAME
// (Transact-SQL)", https://learn.microsoft.com/sql/t-sql/functions/db-name-transact-sql), and says
// whether the login holds CONTROL on it, which sys.database_scoped_credentials needs ("HAS_PERMS_BY_NAME
// (Transact-SQL)", https://learn.microsoft.com/sql/t-sql/functions/has-perms-by-name-transact-sql;
// "sys.database_scoped_credentials (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-database-scoped-credentials-transact-sql):
// without it the view shows no rows rather than an error.
var readBatch = `SET NOCOUNT ON;
SELECT SCHEMA_ID(N'ejops') AS schema_id, OBJECT_ID(N'ejops.inventory') AS object_id, OBJECT_ID(N'ejops.job_schedules') AS schedules_id, @@SERVERNAME AS server_name, DB_NAME() AS database_name, HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CONTROL') AS can_control;
` + credentialsRead.sql() + "\n" + groupsRead.sql() + "\n" + membersRead.sql() + "\n" + jobsRead.sql() + "\n" + stepsRead.sql() + `
IF OBJECT_ID(N'ejops.inventory') IS NOT NULL SELECT ` + strings.Join(inventoryCols, ", ") + ` FROM ejops.inventory ORDER BY scope, kind, name;
IF OBJECT_ID(N'ejops.job_schedules') IS NOT NULL SELECT ` + strings.Join(scheduleCols, ", ") + ` FROM ejops.job_schedules ORDER BY scope, job;`

// The reads of readBatch after its header: the documented columns of each view (see viewRead).
var (
	headerCols      = []string{"schema_id", "object_id", "schedules_id", "server_name", "database_name", "can_control"}
	credentialsRead = viewRead{view: "sys.database_scoped_credentials", cols: []string{"name", "credential_identity"}, order: "name"}
	groupsRead      = viewRead{view: "jobs.target_groups", cols: []string{"target_group_name"}, order: "target_group_name"}
	membersRead     = viewRead{view: "jobs.target_group_members",
		cols: []string{"target_group_name", "target_id", "membership_type", "target_type", "server_name", "database_name",
			"elastic_pool_name", "refresh_credential_name"},
		exprs: map[string]string{"target_id": "CAST(target_id AS nvarchar(36))"},
		order: "target_group_name, target_id"}
	jobsRead = viewRead{view: "jobs.jobs",
		cols: []string{"job_name", "job_version", "description", "enabled", "schedule_interval_type", "schedule_interval_count",
			"schedule_start_time", "schedule_end_time"},
		order: "job_name"}
	stepsRead = viewRead{view: "jobs.jobsteps",
		cols: []string{"job_name", "step_id", "step_name", "command", "credential_name", "target_group_name",
			"initial_retry_interval_seconds", "maximum_retry_interval_seconds", "retry_interval_backoff_multiplier",
			"retry_attempts", "step_timeout_seconds", "max_parallelism", "output_type", "output_server_name",
			"output_database_name", "output_schema_name", "output_table_name", "output_credential_name"},
		order: "job_name, step_id"}
	inventoryCols = []string{"scope", "kind", "name", "spec_hash", "secret_fingerprint", "applied_at", "applied_by"}
	scheduleCols  = []string{"scope", "job", "at", "time_zone", "start_time"}
)

// Read returns the live state in one round trip.
func (db *DB) Read(ctx context.Context) (*State, error) {
	var st *State
	err := db.op(ctx, func(ctx context.Context) (err error) {
		st, err = read(ctx, db.sql)
		return err
	})
	var te *TimeoutError
	if errors.As(err, &te) {
		te.Op = "read job database"
	}
	return st, err
}

// op runs one operation on the job database bounded by OpTimeout; a timeout becomes a
// *TimeoutError (see timedOut).
func (db *DB) op(ctx context.Context, fn func(ctx context.Context) error) error {
	octx, cancel := bound(ctx, db.OpTimeout)
	defer cancel()
	return timedOut(ctx, octx, db.OpTimeout, fn(octx))
}

// TimeoutError is an operation the job database did not finish within DB.OpTimeout.
type TimeoutError struct {
	Op    string // what timed out, when it is not said around the error
	After time.Duration
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("the job database did not answer within %s", e.After)
	if e.Op != "" {
		msg = e.Op + ": " + msg
	}
	return msg
}

// bound returns ctx limited to d (no limit when d is 0).
func bound(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// timedOut turns the error of an operation run under octx, derived from ctx, into a *TimeoutError
// when octx's own deadline ended it, and into ctx's cause when ctx ended (an interrupt or the
// command's deadline).
func timedOut(ctx, octx context.Context, d time.Duration, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w (%v)", context.Cause(ctx), err)
	case octx.Err() != nil:
		return &TimeoutError{After: d}
	}
	return err
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func read(ctx context.Context, q queryer) (*State, error) {
	rows, err := q.QueryContext(ctx, readBatch)
	if err != nil {
		return nil, fmt.Errorf("read job database: %w", err)
	}
	defer rows.Close()
	return scanState(rows)
}

// resultSet decodes one result set: its columns named, where each goes, and what to do with a row
// once scanned.
type resultSet struct {
	cols []string
	dest []any
	add  func() error
}

// scanState reads the result sets of readBatch, rows standing at the first of them. The guarded
// SELECTs of ejops' own tables send a result set only when the header says the table exists.
func scanState(rows *sql.Rows) (*State, error) {
	st := &State{}
	sets := []resultSet{headerSet(st), credentialsSet(st)}
	sets = append(sets, groupSets(st)...)
	sets = append(sets, jobSets(st)...)
	for i, set := range sets {
		if i > 0 && !rows.NextResultSet() {
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("read job database: %w", err)
			}
			return nil, fmt.Errorf("read job database: result set %d is missing", i+1)
		}
		if err := scanSet(rows, set, i); err != nil {
			return nil, err
		}
	}
	n := len(sets)
	for _, o := range []struct {
		set     resultSet
		present bool
	}{{inventorySet(st), st.HasInventory}, {schedulesSet(st), st.HasSchedules}} {
		if !o.present {
			continue
		}
		if !rows.NextResultSet() {
			break // dropped since the header was read
		}
		if err := scanSet(rows, o.set, n); err != nil {
			return nil, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read job database: %w", err)
	}
	return st, nil
}

// scanSet reads the rows of the current result set, the ith.
func scanSet(rows *sql.Rows, set resultSet, i int) error {
	dest, err := bindColumns(rows, set.cols, set.dest)
	if err != nil {
		return fmt.Errorf("read job database: result set %d: %w", i+1, err)
	}
	for rows.Next() {
		err := rows.Scan(dest...)
		if err == nil {
			err = set.add()
		}
		if err != nil {
			return fmt.Errorf("read job database: result set %d: %w", i+1, err)
		}
	}
	return nil
}

// headerSet reads the row of the read batch's first result set: whether ejops' inventory exists,
// which job database this is, and whether the login may read the credentials.
func headerSet(st *State) resultSet {
	var schemaID, objectID, schedulesID, control sql.NullInt64
	var server, database sql.NullString
	return resultSet{cols: headerCols, dest: []any{&schemaID, &objectID, &schedulesID, &server, &database, &control}, add: func() error {
		st.HasSchema, st.HasInventory, st.HasSchedules = schemaID.Valid, objectID.Valid, schedulesID.Valid
		st.Server, st.Database = server.String, database.String
		st.CredentialsHidden = control.Valid && control.Int64 == 0
		return nil
	}}
}

func credentialsSet(st *State) resultSet {
	var name string
	var id sql.NullString
	return resultSet{credentialsRead.cols, []any{&name, &id}, func() error {
		st.Credentials = append(st.Credentials, Credential{Name: name, Identity: id.String})
		return nil
	}}
}

// groupSets read the target groups, then their members.
func groupSets(st *State) []resultSet {
	groups := map[string]int{}
	var name string
	var m Member
	var membership any
	var server, database, pool, refresh sql.NullString
	return []resultSet{
		{groupsRead.cols, []any{&name}, func() error {
			groups[strings.ToLower(name)] = len(st.TargetGroups)
			st.TargetGroups = append(st.TargetGroups, TargetGroup{Name: name})
			return nil
		}},
		{membersRead.cols, []any{&name, &m.TargetID, &membership, &m.Type, &server, &database, &pool, &refresh}, func() (err error) {
			if m.Membership, err = membershipName(membership); err != nil {
				return err
			}
			m.Server, m.Database, m.ElasticPool, m.RefreshCredential = server.String, database.String, pool.String, refresh.String
			i, ok := groups[strings.ToLower(name)]
			if !ok {
				return fmt.Errorf("member of unknown target group %q", name)
			}
			st.TargetGroups[i].Members = append(st.TargetGroups[i].Members, m)
			return nil
		}},
	}
}

// jobSets read the jobs, then the steps of their current versions.
func jobSets(st *State) []resultSet {
	jobs := map[string]int{}
	var j Job
	var start, end sql.NullTime
	var desc sql.NullString
	var job string
	var id int
	var s Step
	var cred, tg, outType, outServer, outDB, outSchema, outTable, outCred sql.NullString
	var initial, maxRetry, timeout, par sql.NullInt64
	return []resultSet{
		{jobsRead.cols, []any{&j.Name, &j.Version, &desc, &j.Enabled, &j.IntervalType, &j.IntervalCount, &start, &end}, func() error {
			j.Description, j.Start, j.End = desc.String, start.Time.UTC(), end.Time.UTC()
			jobs[strings.ToLower(j.Name)] = len(st.Jobs)
			st.Jobs = append(st.Jobs, j)
			return nil
		}},
		{stepsRead.cols, []any{&job, &id, &s.Name, &s.Command, &cred, &tg, &initial, &maxRetry, &s.BackoffMultiplier,
			&s.RetryAttempts, &timeout, &par, &outType, &outServer, &outDB, &outSchema, &outTable, &outCred}, func() error {
			s.Credential, s.TargetGroup = cred.String, tg.String
			s.InitialRetrySecs, s.MaxRetrySecs, s.TimeoutSecs, s.MaxParallelism = int(initial.Int64), int(maxRetry.Int64), int(timeout.Int64), int(par.Int64)
			s.Output = nil
			if outType.Valid && outType.String != "" {
				s.Output = &Output{Server: outServer.String, Database: outDB.String, Schema: outSchema.String, Table: outTable.String, Credential: outCred.String}
			}
			i, ok := jobs[strings.ToLower(job)]
			if !ok {
				return fmt.Errorf("step of unknown job %q", job)
			}
			st.Jobs[i].Steps = append(st.Jobs[i].Steps, s)
			return nil
		}},
	}
}

func inventorySet(st *State) resultSet {
	var o Owned
	var fp, by sql.NullString
	return resultSet{cols: inventoryCols, dest: []any{&o.Scope, &o.Kind, &o.Name, &o.SpecHash, &fp, &o.AppliedAt, &by}, add: func() error {
		o.SecretFingerprint, o.AppliedBy, o.AppliedAt = fp.String, by.String, o.AppliedAt.UTC()
		st.Inventory = append(st.Inventory, o)
		return nil
	}}
}

func schedulesSet(st *State) resultSet {
	var s LocalSchedule
	var start sql.NullTime
	return resultSet{cols: scheduleCols, dest: []any{&s.Scope, &s.Job, &s.At, &s.TimeZone, &start}, add: func() error {
		s.Start = time.Time{}
		if start.Valid {
			s.Start = start.Time.UTC()
		}
		st.Schedules = append(st.Schedules, s)
		return nil
	}}
}

// QuoteName quotes an identifier like QUOTENAME: [name] with ] doubled.
func QuoteName(s string) string { return "[" + strings.ReplaceAll(s, "]", "]]") + "]" }

// QuoteString quotes a Unicode string literal: N'text' with ' doubled.
func QuoteString(s string) string { return "N'" + strings.ReplaceAll(s, "'", "''") + "'" }

// InventoryDDL creates ejops' inventory table; CREATE SCHEMA must run in a batch of its own.
var InventoryDDL = []string{
	"CREATE SCHEMA ejops",
	`CREATE TABLE ejops.inventory (
    scope nvarchar(128) NOT NULL,
    kind nvarchar(32) NOT NULL,
    name nvarchar(128) NOT NULL,
    spec_hash nvarchar(64) NOT NULL,
    secret_fingerprint nvarchar(256) NULL,
    applied_at datetime2 NOT NULL,
    applied_by nvarchar(256) NULL,
    PRIMARY KEY (scope, kind, name)
)`,
}

// SchedulesDDL creates the table of the schedules in local time that jobs were applied with, per
// scope: the job database holds only their UTC form.
const SchedulesDDL = `CREATE TABLE ejops.job_schedules (
    scope nvarchar(128) NOT NULL,
    job nvarchar(128) NOT NULL,
    at nvarchar(5) NOT NULL,
    time_zone nvarchar(64) NOT NULL,
    start_time datetime2 NULL,
    PRIMARY KEY (scope, job)
)`

// ErrorNumber returns the SQL Server error number of err, or 0.
func ErrorNumber(err error) int32 {
	var e mssql.Error
	if errors.As(err, &e) {
		return e.Number
	}
	return 0
}
