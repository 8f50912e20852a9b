package runner_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

func row(step int, ttype, server, database, lifecycle string, attempts int, msg string) jobdb.ExecutionRow {
	return jobdb.ExecutionRow{ExecutionID: "E", Job: "nightly", JobVersion: 2, StepID: step, StepName: fmt.Sprintf("s%d", step),
		Lifecycle: lifecycle, Active: !isTerminal(lifecycle), Attempts: attempts, LastMessage: msg,
		TargetType: ttype, TargetServer: server, TargetDatabase: database, TargetGroup: "tenants"}
}

func isTerminal(l string) bool {
	switch l {
	case runner.LifecycleCreated, runner.LifecycleInProgress, runner.LifecycleWaitingForRetry, runner.LifecycleWaitingForChildren:
		return false
	}
	return true
}

func TestBuildExecution(t *testing.T) {
	rows := []jobdb.ExecutionRow{
		row(1, "SqlDatabase", "s1", "b", runner.LifecycleFailed, 3, "Msg 208"),
		row(0, "", "", "", runner.LifecycleWaitingForChildren, 0, ""),
		row(2, "TargetGroup", "", "", runner.LifecycleInProgress, 1, ""),
		row(1, "SqlDatabase", "S1", "a", runner.LifecycleSucceeded, 1, ""),
		row(1, "TargetGroup", "", "", runner.LifecycleFailed, 1, "The step failed on 1 of 2 target(s)."),
		row(1, "SqlServer", "s1", "", runner.LifecycleSucceeded, 1, "Enumerated 2 database(s)."),
	}
	e, err := runner.BuildExecution(rows)
	if err != nil {
		t.Fatal(err)
	}
	if e.Job != "nightly" || e.Lifecycle != runner.LifecycleWaitingForChildren || !e.Active || len(e.Steps) != 2 {
		t.Fatalf("execution = %+v", e)
	}
	s := e.Steps[0]
	if s.ID != 1 || s.Name != "s1" || s.TargetGroup != "tenants" || s.Lifecycle != runner.LifecycleFailed || len(s.Targets) != 3 {
		t.Fatalf("step 1 = %+v", s)
	}
	var names []string
	for _, tg := range s.Targets {
		names = append(names, tg.Name())
	}
	if got := strings.Join(names, ", "); got != "s1 (server enumeration), S1/a, s1/b" {
		t.Fatalf("targets in order %s", got)
	}
	if c := s.Count(); c != (runner.Counts{Total: 2, Succeeded: 1, Failed: 1}) {
		t.Fatalf("counts = %+v", c)
	}
	if cur := e.Current(); cur.ID != 2 {
		t.Fatalf("current step %d, want 2 (the active one)", cur.ID)
	}
	failed := e.Targets(runner.IsFailure)
	if len(failed) != 1 || failed[0].Target.Database != "b" || failed[0].Step.ID != 1 {
		t.Fatalf("failures = %+v", failed)
	}
	if _, err := runner.BuildExecution(rows[2:3]); err == nil {
		t.Fatal("a tree without its job row was accepted")
	}
}

func TestTransitions(t *testing.T) {
	build := func(rows ...jobdb.ExecutionRow) *runner.Execution {
		t.Helper()
		e, err := runner.BuildExecution(rows)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	root := func(l string) jobdb.ExecutionRow { return row(0, "", "", "", l, 0, "") }
	step := func(l string) jobdb.ExecutionRow { return row(1, "TargetGroup", "", "", l, 1, "") }
	db := func(name, l string, attempts int, msg string) jobdb.ExecutionRow {
		return row(1, "SqlDatabase", "s1", name, l, attempts, msg)
	}
	show := func(tr []runner.Transition) string {
		var out []string
		for _, x := range tr {
			who := "job"
			if x.Target != nil {
				who = x.Target.Database
			} else if x.Step != nil {
				who = x.Step.Name
			}
			out = append(out, fmt.Sprintf("%s:%s>%s#%d", who, x.From, x.To, x.Attempts))
		}
		return strings.Join(out, " ")
	}
	created := build(root(runner.LifecycleCreated))
	running := build(root(runner.LifecycleWaitingForChildren), step(runner.LifecycleWaitingForChildren),
		db("a", runner.LifecycleInProgress, 1, ""), db("b", runner.LifecycleCreated, 0, ""))
	retrying := build(root(runner.LifecycleWaitingForChildren), step(runner.LifecycleWaitingForChildren),
		db("a", runner.LifecycleInProgress, 2, "deadlock"), db("b", runner.LifecycleCreated, 0, ""))
	done := build(root(runner.LifecycleSucceeded), step(runner.LifecycleSucceeded),
		db("a", runner.LifecycleSucceeded, 2, ""), db("b", runner.LifecycleSucceeded, 1, ""))
	cases := []struct {
		name      string
		prev, cur *runner.Execution
		want      string
	}{
		{"first read", nil, created, "job:>Created#0"},
		{"nothing changed", running, running, ""},
		{"created targets wait until they start", created, running,
			"job:Created>WaitingForChildJobExecutions#0 s1:>WaitingForChildJobExecutions#0 a:>InProgress#1"},
		{"a retry between two polls shows as a new attempt", running, retrying, "a:InProgress>InProgress#2"},
		{"the end", retrying, done, "job:WaitingForChildJobExecutions>Succeeded#0 s1:WaitingForChildJobExecutions>Succeeded#0 a:InProgress>Succeeded#2 b:Created>Succeeded#1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := show(runner.Transitions(c.prev, c.cur)); got != c.want {
				t.Errorf("Transitions mismatch\n got: %s\nwant: %s", got, c.want)
			}
		})
	}
}

func TestNextIntervalBacksOff(t *testing.T) {
	o := runner.DefaultWaitOptions()
	var got []time.Duration
	d := time.Duration(0)
	for _, changed := range []bool{false, false, false, false, false, false, true, false} {
		d = o.NextInterval(d, changed)
		got = append(got, d)
	}
	want := "[500ms 1s 2s 4s 5s 5s 500ms 1s]"
	if fmt.Sprint(got) != want {
		t.Fatalf("intervals %v, want %s", got, want)
	}
}

// fleetEmulator serves an emulator whose agent runs over the fleet file given, with a job
// "nightly" of one step over the target group members given (SQL member clauses).
func fleetEmulator(tb testing.TB, fleet string, members ...string) (*emulator.Emulator, *jobdb.DB) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(fleet), 0o644); err != nil {
		tb.Fatal(err)
	}
	em, db, dsn := serveEmulator(tb, emulator.Options{Password: "run-pw", Fleet: path})
	raw, err := sql.Open("sqlserver", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	batch := "EXEC jobs.sp_add_target_group @target_group_name = N'tenants';\n"
	for _, m := range members {
		batch += "EXEC jobs.sp_add_target_group_member @target_group_name = N'tenants', " + m + ";\n"
	}
	batch += `EXEC jobs.sp_add_job @job_name = N'nightly', @description = N'test';
EXEC jobs.sp_add_jobstep @job_name = N'nightly', @step_name = N'stats', @command = N'SELECT 1;',
  @target_group_name = N'tenants', @retry_attempts = 2, @initial_retry_interval_seconds = 0,
  @maximum_retry_interval_seconds = 0;`
	if _, err := raw.Exec(batch); err != nil {
		tb.Fatal(err)
	}
	return em, db
}

// serveEmulator serves an emulator over TCP for one test and opens a job database on it.
func serveEmulator(tb testing.TB, opts emulator.Options) (*emulator.Emulator, *jobdb.DB, string) {
	tb.Helper()
	em, err := emulator.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	addr, err := em.Listen("127.0.0.1:0")
	if err != nil {
		em.Close()
		tb.Fatal(err)
	}
	db, err := jobdb.Open(em.DSN(addr), nil)
	if err != nil {
		em.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db.Close()
		em.Close()
	})
	return em, db, em.DSN(addr)
}

func TestFollowReadsOneTreePerPoll(t *testing.T) {
	em, db := fleetEmulator(t, `
authentication: ManagedIdentity
defaults: {duration: 50ms}
servers:
  - name: s1.database.windows.net
    databases:
      - ok
      - name: flaky
        failure: {message: deadlocked, number: 1205, attempts: 2}
      - name: broken
        failure: {message: "Invalid object name 'dbo.missing'.", number: 208, always: true}
`, "@target_type = N'SqlServer', @server_name = N's1.database.windows.net'")
	ctx := context.Background()
	id, err := db.StartJob(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	em.ResetStats()
	polls := 0
	var seen []string
	e, err := runner.Follow(ctx, db, id, runner.WaitOptions{MinInterval: 10 * time.Millisecond, MaxInterval: 40 * time.Millisecond},
		func(_ *runner.Execution, tr []runner.Transition) {
			polls++
			for _, x := range tr {
				if x.Target != nil && x.Target.Database == "flaky" {
					seen = append(seen, fmt.Sprintf("%s#%d", x.To, x.Attempts))
				}
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if n := em.Stats().RoundTrips; n != int64(polls) {
		t.Fatalf("%d polls took %d round trips", polls, n)
	}
	if e.Lifecycle != runner.LifecycleFailed || e.Succeeded() || len(e.Steps) != 1 {
		t.Fatalf("execution ended %s with %d steps", e.Lifecycle, len(e.Steps))
	}
	byDB := map[string]*runner.TargetExecution{}
	for _, tg := range e.Steps[0].Targets {
		byDB[tg.Database] = tg
	}
	if f := byDB["flaky"]; f == nil || f.Lifecycle != runner.LifecycleSucceeded || f.Attempts != 3 {
		t.Fatalf("flaky = %+v", f)
	}
	if b := byDB["broken"]; b == nil || b.Lifecycle != runner.LifecycleFailed || b.Attempts != 3 || !strings.Contains(b.LastMessage, "dbo.missing") {
		t.Fatalf("broken = %+v", b)
	}
	if e.Steps[0].Name != "stats" || e.Steps[0].TargetGroup != "tenants" {
		t.Fatalf("step = %+v", e.Steps[0])
	}
	if len(seen) == 0 || seen[len(seen)-1] != "Succeeded#3" {
		t.Fatalf("transitions of flaky: %v", seen)
	}
}

func TestStopAndRecentExecutions(t *testing.T) {
	_, db := fleetEmulator(t, `
authentication: ManagedIdentity
defaults: {duration: 1h}
servers:
  - name: s1.database.windows.net
    databases: [a, b]
`, "@target_type = N'SqlDatabase', @server_name = N's1.database.windows.net', @database_name = N'a'",
		"@target_type = N'SqlDatabase', @server_name = N's1.database.windows.net', @database_name = N'b'")
	ctx := context.Background()
	first, err := db.StartJob(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.StopJob(ctx, first); err != nil {
		t.Fatal(err)
	}
	e, err := runner.Follow(ctx, db, first, runner.WaitOptions{MinInterval: 10 * time.Millisecond, MaxInterval: 20 * time.Millisecond}, nil)
	if err != nil || e.Lifecycle != runner.LifecycleCanceled {
		t.Fatalf("after stop: %v, %+v", err, e)
	}
	second, err := db.StartJob(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	roots, children, err := db.RecentExecutions(ctx, jobdb.ExecutionFilter{Job: "NIGHTLY", Last: 5, Since: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 2 || roots[0].ExecutionID != second || roots[1].ExecutionID != first {
		t.Fatalf("roots = %+v", roots)
	}
	for _, c := range children {
		if c.StepID == 0 || (c.ExecutionID != first && c.ExecutionID != second) {
			t.Fatalf("child row %+v", c)
		}
	}
	only, _, err := db.RecentExecutions(ctx, jobdb.ExecutionFilter{Last: 5, Lifecycles: []string{runner.LifecycleCanceled}})
	if err != nil || len(only) != 1 || only[0].ExecutionID != first {
		t.Fatalf("canceled only: %v %+v", err, only)
	}
	none, _, err := db.RecentExecutions(ctx, jobdb.ExecutionFilter{Last: 5, Since: time.Now().Add(time.Hour)})
	if err != nil || len(none) != 0 {
		t.Fatalf("since the future: %v %+v", err, none)
	}
	if err := db.StopJob(ctx, "6F9619FF-8B86-D011-B42D-00C04FC964FF"); err == nil || !strings.Contains(err.Error(), jobdb.ErrNoExecution.Error()) {
		t.Fatalf("stopping an unknown execution: %v", err)
	}
	if _, err := db.ExecutionTree(ctx, "not-a-guid"); err == nil {
		t.Fatal("a malformed id was accepted")
	}
}
