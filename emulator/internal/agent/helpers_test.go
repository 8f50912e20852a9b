package agent

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlexec"
	"github.com/ejops/ejops/emulator/internal/tds"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// stack is a job database served over TCP with an agent on a fake clock.
type stack struct {
	t     testing.TB
	db    *jobstore.DB
	sql   *sql.DB
	clock *FakeClock
	agent *Agent
}

func newStack(t testing.TB, fleet *Fleet) *stack {
	t.Helper()
	return newStackWith(t, fleet, jobstore.Options{})
}

// newStackWith is newStack with job database options (Now is set to the fake clock).
func newStackWith(t testing.TB, fleet *Fleet, opts jobstore.Options) *stack {
	t.Helper()
	clock := NewFakeClock(t0)
	opts.Now = clock.Now
	db, err := jobstore.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	h := sqlexec.NewHandler(db, sqlexec.Options{User: "agent", Password: "secret-pw", Database: "jobdb", Now: clock.Now})
	srv := tds.NewServer(h, tds.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword("agent", "secret-pw"), Host: ln.Addr().String(),
		RawQuery: "database=jobdb&encrypt=disable"}
	sdb, err := sql.Open("sqlserver", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sdb.Close()
		srv.Close()
		db.Close()
	})
	return &stack{t: t, db: db, sql: sdb, clock: clock, agent: New(db, Options{Fleet: fleet, Clock: clock})}
}

func (s *stack) exec(query string, args ...any) {
	s.t.Helper()
	if _, err := s.sql.ExecContext(context.Background(), query, args...); err != nil {
		s.t.Fatalf("%s: %v", firstLine(query), err)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// group creates a target group with members given as "Include SqlServer srv", "Exclude SqlDatabase srv db",
// "Include SqlElasticPool srv pool".
func (s *stack) group(name string, members ...string) {
	s.t.Helper()
	s.exec("EXEC jobs.sp_add_target_group @target_group_name = @p1", name)
	for _, m := range members {
		f := strings.Fields(m)
		args := []any{sql.Named("g", name), sql.Named("mt", f[0]), sql.Named("tt", f[1]), sql.Named("srv", f[2])}
		q := "EXEC jobs.sp_add_target_group_member @target_group_name = @g, @membership_type = @mt, @target_type = @tt, @server_name = @srv"
		switch f[1] {
		case "SqlDatabase":
			q += ", @database_name = @x"
			args = append(args, sql.Named("x", f[3]))
		case "SqlElasticPool":
			q += ", @elastic_pool_name = @x"
			args = append(args, sql.Named("x", f[3]))
		}
		s.exec(q, args...)
	}
}

// job creates a job; each step is "name group extra-params" where extra-params is raw T-SQL.
func (s *stack) job(name string, steps ...string) {
	s.t.Helper()
	s.exec("EXEC jobs.sp_add_job @job_name = @p1", name)
	for _, st := range steps {
		f := strings.SplitN(st, " ", 3)
		extra := ""
		if len(f) == 3 {
			extra = ", " + f[2]
		}
		s.exec(fmt.Sprintf("EXEC jobs.sp_add_jobstep @job_name = N'%s', @step_name = N'%s', @command = N'SELECT 1;', @target_group_name = N'%s'%s", name, f[0], f[1], extra))
	}
}

// start runs sp_start_job over RPC and returns the execution id.
func (s *stack) start(job string) string {
	s.t.Helper()
	var id mssql.NullUniqueIdentifier
	err := s.sql.QueryRowContext(context.Background(), `DECLARE @id uniqueidentifier;
		EXEC jobs.sp_start_job @job_name = @p1, @job_execution_id = @id OUTPUT;
		SELECT @id;`, job).Scan(&id)
	if err != nil {
		s.t.Fatalf("sp_start_job %s: %v", job, err)
	}
	if !id.Valid {
		s.t.Fatalf("sp_start_job %s returned no execution id", job)
	}
	return id.UUID.String()
}

func (s *stack) stop(id string) {
	s.t.Helper()
	s.exec("EXEC jobs.sp_stop_job @job_execution_id = @p1", id)
}

func (s *stack) step() {
	s.t.Helper()
	if err := s.agent.Step(context.Background()); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stack) advance(d time.Duration) {
	s.t.Helper()
	if err := s.agent.Advance(context.Background(), d); err != nil {
		s.t.Fatal(err)
	}
}

// execRow is one row of jobs.job_executions.
type execRow struct {
	StepID    int64 // 0 = root
	StepName  string
	Lifecycle string
	Active    bool
	Create    time.Time
	Start     time.Time
	End       time.Time
	Attempts  int64
	AttStart  time.Time
	Next      time.Time
	Message   string
	Type      string
	Group     string
	Server    string
	Database  string
	Pool      string
}

func (r execRow) String() string {
	return fmt.Sprintf("step=%d %s %s/%s/%s/%s %s attempts=%d msg=%q", r.StepID, r.Type, r.Group, r.Server, r.Pool, r.Database, r.Lifecycle, r.Attempts, r.Message)
}

const execCols = `step_id, step_name, lifecycle, is_active, create_time, start_time, end_time, current_attempts,
	current_attempt_start_time, next_attempt_start_time, last_message, target_type, target_group_name,
	target_server_name, target_database_name, target_elastic_pool_name`

func scanExecs(t testing.TB, rows *sql.Rows, err error) []execRow {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []execRow
	for rows.Next() {
		var r execRow
		var step sql.NullInt64
		var name, msg, typ, grp, srv, dbn, pool sql.NullString
		var start, end, att, next sql.NullTime
		if err := rows.Scan(&step, &name, &r.Lifecycle, &r.Active, &r.Create, &start, &end, &r.Attempts, &att, &next, &msg, &typ, &grp, &srv, &dbn, &pool); err != nil {
			t.Fatal(err)
		}
		r.StepID, r.StepName, r.Message, r.Type, r.Group = step.Int64, name.String, msg.String, typ.String, grp.String
		r.Server, r.Database, r.Pool = srv.String, dbn.String, pool.String
		r.Start, r.End, r.AttStart, r.Next = start.Time.UTC(), end.Time.UTC(), att.Time.UTC(), next.Time.UTC()
		r.Create = r.Create.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tree reads one execution's rows: root first, then by step, target type and database.
func (s *stack) tree(id string) []execRow {
	s.t.Helper()
	rows, err := s.sql.QueryContext(context.Background(), "SELECT "+execCols+" FROM jobs.job_executions WHERE job_execution_id = @p1", id)
	out := scanExecs(s.t, rows, err)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.StepID != b.StepID {
			return a.StepID < b.StepID
		}
		ka := map[string]int{"": 0, "SqlServer": 2, "SqlElasticPool": 3, "SqlDatabase": 4}
		if ka[a.Type] != ka[b.Type] {
			return ka[a.Type] < ka[b.Type]
		}
		return a.Server+"/"+a.Database < b.Server+"/"+b.Database
	})
	return out
}

func root(rows []execRow) execRow {
	for _, r := range rows {
		if r.StepID == 0 {
			return r
		}
	}
	return execRow{}
}

// targets returns the SqlDatabase rows of a step.
func targets(rows []execRow, step int64) []execRow {
	var out []execRow
	for _, r := range rows {
		if r.StepID == step && r.Type == "SqlDatabase" {
			out = append(out, r)
		}
	}
	return out
}

func stepRow(rows []execRow, step int64) (execRow, bool) {
	for _, r := range rows {
		if r.StepID == step && r.Type == "" {
			return r, true
		}
	}
	return execRow{}, false
}

// summary renders rows as "type database lifecycle" lines for comparisons.
func summary(rows []execRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%d %s %s %s %s\n", r.StepID, r.Type, r.Database, r.Lifecycle, r.Message)
	}
	return b.String()
}

func wantLife(t testing.TB, what string, r execRow, life string) {
	t.Helper()
	if r.Lifecycle != life {
		t.Errorf("%s lifecycle = %s, want %s (%s)", what, r.Lifecycle, life, r)
	}
}

// count runs a query that returns one number.
func (s *stack) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.sql.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", firstLine(query), err)
	}
	return n
}

// zeroDelayRetries are sp_add_jobstep arguments for retries without delay.
const zeroDelayRetries = "@initial_retry_interval_seconds = 0, @maximum_retry_interval_seconds = 0"

// alwaysFailing is a fleet of one database, s/d, that fails every attempt.
func alwaysFailing() *Fleet {
	return &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{{Name: "d", Failure: &Failure{Message: "boom", Always: true}}}}}}
}

// pendingTimers is the number of timers waiting on the fake clock.
func (c *FakeClock) pendingTimers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// startRun runs the agent's Run loop until the returned cancel is called or the test ends.
func startRun(t *testing.T, s *stack) (cancel func(), done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- s.agent.Run(ctx) }()
	t.Cleanup(cancel)
	return cancel, ch
}

// waitRun waits for Run to return without error.
func waitRun(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
