package agent

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
)

func TestStepTimeout(t *testing.T) {
	f := &Fleet{Servers: []Server{{Name: "s", Databases: []Database{{Name: "slow", Duration: time.Hour}, {Name: "quick", Duration: time.Second}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlServer s")
	s.job("j", "one g @step_timeout_seconds = 60", "two g")
	id := s.start("j")
	s.advance(59 * time.Second)
	if tg := targets(s.tree(id), 1)[1]; tg.Database != "slow" || tg.Lifecycle != "InProgress" {
		t.Fatalf("before the timeout: %+v", tg)
	}
	s.advance(time.Second)
	rows := s.tree(id)
	tg := targets(rows, 1)
	wantLife(t, "slow", tg[1], "TimedOut")
	if !tg[1].End.Equal(t0.Add(time.Minute)) || tg[1].Message != "The step timed out after 60 seconds." || tg[1].Attempts != 1 {
		t.Errorf("slow = %+v", tg[1])
	}
	wantLife(t, "quick", tg[0], "Succeeded")
	st, _ := stepRow(rows, 1)
	wantLife(t, "step", st, "TimedOut")
	wantLife(t, "root", root(rows), "TimedOut")
	if _, ok := stepRow(rows, 2); ok {
		t.Errorf("step 2 ran after step 1 timed out:\n%s", summary(rows))
	}
}

func TestCancel(t *testing.T) {
	f := &Fleet{Servers: []Server{{Name: "s", Databases: []Database{
		{Name: "long", Duration: time.Hour},
		{Name: "retrying", Failure: &Failure{Message: "boom", Always: true}},
		{Name: "done", Duration: time.Second}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlServer s")
	s.job("j", "one g @initial_retry_interval_seconds = 60", "two g")
	id := s.start("j")
	s.advance(10 * time.Second)
	s.stop(id)
	s.step()
	rows := s.tree(id)
	want := `0   Canceled The job execution was canceled.
1 TargetGroup  Canceled The job execution was canceled.
1 SqlServer  Succeeded Enumerated 3 database(s).
1 SqlDatabase done Succeeded 
1 SqlDatabase long Canceled The job execution was canceled.
1 SqlDatabase retrying Canceled The job execution was canceled.
`
	if got := summary(rows); got != want {
		t.Fatalf("rows:\n%s\nwant:\n%s", got, want)
	}
	for _, r := range rows {
		if r.Active || r.End.IsZero() {
			t.Errorf("row still active: %+v", r)
		}
		if r.Lifecycle == "Canceled" && !r.End.Equal(t0.Add(10*time.Second)) {
			t.Errorf("canceled at %v, want t0+10s", r.End)
		}
	}
	s.advance(2 * time.Hour)
	if got := summary(s.tree(id)); got != want {
		t.Errorf("rows changed after cancel:\n%s", got)
	}
}

func TestCancelBeforePickUp(t *testing.T) {
	s := newStack(t, nil)
	s.group("g", "Include SqlDatabase s d")
	s.job("j", "one g")
	id := s.start("j")
	s.stop(id)
	s.step()
	if got := summary(s.tree(id)); got != "0   Canceled The job execution was canceled.\n" {
		t.Fatalf("rows:\n%s", got)
	}
}

func TestSkippedWhenStepAlreadyRuns(t *testing.T) {
	f := &Fleet{Servers: []Server{{Name: "s", Databases: []Database{{Name: "a", Duration: time.Minute}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlDatabase s a")
	s.job("j", "one g")
	first := s.start("j")
	s.step()
	s.advance(10 * time.Second)
	second := s.start("j")
	s.step()
	rows := s.tree(second)
	want := `0   SucceededWithSkipped 
1 TargetGroup  SucceededWithSkipped The step was skipped on 1 of 1 target(s).
1 SqlDatabase a Skipped Skipped: another execution of this job step is already running on this target.
`
	if got := summary(rows); got != want {
		t.Fatalf("second run:\n%s\nwant:\n%s", got, want)
	}
	if tg := targets(rows, 1)[0]; tg.Attempts != 0 || !tg.End.Equal(t0.Add(10*time.Second)) {
		t.Errorf("skipped row = %+v", tg)
	}
	s.advance(time.Minute)
	wantLife(t, "first run", root(s.tree(first)), "Succeeded")
	// Once the first run is over, a new run executes normally.
	third := s.start("j")
	s.advance(time.Minute)
	wantLife(t, "third run", root(s.tree(third)), "Succeeded")
}

func TestMaxParallelismPerPool(t *testing.T) {
	var pa, pb []Database
	for i, d := range []int{3, 5, 7, 2, 4, 6} {
		pa = append(pa, Database{Name: "a" + string(rune('0'+i)), Duration: time.Duration(d) * time.Second})
	}
	for i, d := range []int{4, 1, 3, 2} {
		pb = append(pb, Database{Name: "b" + string(rune('0'+i)), Duration: time.Duration(d) * time.Second})
	}
	f := &Fleet{Servers: []Server{{Name: "s",
		Databases:    []Database{{Name: "x1", Duration: 5 * time.Second}, {Name: "x2", Duration: 5 * time.Second}, {Name: "x3", Duration: 5 * time.Second}},
		ElasticPools: []ElasticPool{{Name: "pa", Databases: pa}, {Name: "pb", Databases: pb}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlServer s")
	s.job("j", "one g @max_parallelism = 2")
	id := s.start("j")
	s.step()
	peak := map[string]int{}
	for i := 0; i < 60; i++ {
		rows, err := s.sql.QueryContext(context.Background(), `SELECT target_elastic_pool_name FROM jobs.job_executions
			WHERE job_execution_id = @p1 AND target_type = N'SqlDatabase' AND lifecycle = N'InProgress'`, id)
		if err != nil {
			t.Fatal(err)
		}
		now := map[string]int{}
		for rows.Next() {
			var pool sql.NullString
			if err := rows.Scan(&pool); err != nil {
				t.Fatal(err)
			}
			now[pool.String]++
		}
		rows.Close()
		for p, n := range now {
			peak[p] = max(peak[p], n)
		}
		if now["pa"] > 2 || now["pb"] > 2 {
			t.Fatalf("at t0+%ds: %v target executions in progress per pool, max_parallelism is 2", i, now)
		}
		s.advance(time.Second)
	}
	if peak["pa"] != 2 || peak["pb"] != 2 || peak[""] != 3 {
		t.Errorf("peak concurrency per pool = %v, want pa:2 pb:2 and the 3 standalone databases at once", peak)
	}
	rows := s.tree(id)
	wantLife(t, "root", root(rows), "Succeeded")
	// Pool pa: 3s,5s in parallel; then 7s at t3, 2s at t5, 4s at t7, 6s at t10: ends at t16.
	if r := root(rows); !r.End.Equal(t0.Add(16 * time.Second)) {
		t.Errorf("root ended at %v, want t0+16s", r.End)
	}
}

func TestLaterStepsRule(t *testing.T) {
	f := &Fleet{Servers: []Server{{Name: "s", Databases: []Database{
		{Name: "a", Duration: 2 * time.Second}, {Name: "b", Duration: 5 * time.Second},
		{Name: "bad", Failure: &Failure{Message: "nope", Always: true}}}}}}
	s := newStack(t, f)
	s.group("good", "Include SqlDatabase s a", "Include SqlDatabase s b")
	s.group("mixed", "Include SqlDatabase s a", "Include SqlDatabase s bad")
	s.job("ok", "first good", "second good", "third good")
	s.job("ko", "first good", "second mixed @retry_attempts = 0", "third good")

	id := s.start("ok")
	s.advance(time.Minute)
	rows := s.tree(id)
	wantLife(t, "ok root", root(rows), "Succeeded")
	for step := int64(1); step <= 3; step++ {
		st, ok := stepRow(rows, step)
		if !ok {
			t.Fatalf("no step %d row:\n%s", step, summary(rows))
		}
		// Each step starts when the previous one has finished on every target.
		if want := t0.Add(time.Duration(step-1) * 5 * time.Second); !st.Start.Equal(want) || !st.End.Equal(want.Add(5*time.Second)) {
			t.Errorf("step %d ran %v..%v, want from %v", step, st.Start, st.End, want)
		}
	}

	id = s.start("ko")
	s.advance(time.Minute)
	rows = s.tree(id)
	r := root(rows)
	wantLife(t, "ko root", r, "Failed")
	if r.Message != "Step 2 (second): The step failed on 1 of 2 target(s)." {
		t.Errorf("root message = %q", r.Message)
	}
	if _, ok := stepRow(rows, 3); ok {
		t.Errorf("step 3 ran after step 2 failed:\n%s", summary(rows))
	}
}

func TestDaysSchedule(t *testing.T) {
	s := newStack(t, nil)
	s.group("g", "Include SqlDatabase s d")
	start, end := t0.Add(2*time.Hour), t0.Add(3*24*time.Hour+3*time.Hour)
	s.job("daily", "one g")
	s.exec(`EXEC jobs.sp_update_job @job_name = N'daily', @enabled = 1, @schedule_interval_type = N'Days',
		@schedule_interval_count = 1, @schedule_start_time = @p1, @schedule_end_time = @p2`, start, end)
	s.job("off", "one g") // disabled: never fires
	s.exec(`EXEC jobs.sp_update_job @job_name = N'off', @schedule_interval_type = N'Minutes', @schedule_start_time = @p1`, t0)

	s.advance(2*time.Hour - time.Millisecond)
	if n := s.count(`SELECT COUNT(*) FROM jobs.job_executions`); n != 0 {
		t.Fatalf("%d executions before schedule_start_time", n)
	}
	s.advance(6 * 24 * time.Hour)
	rows, err := s.sql.QueryContext(context.Background(), "SELECT "+execCols+" FROM jobs.job_executions WHERE step_id IS NULL ORDER BY create_time")
	roots := scanExecs(t, rows, err)
	var got []string
	for _, r := range roots {
		got = append(got, r.Create.Format(time.RFC3339)+" "+r.Lifecycle)
	}
	want := []string{"2026-01-01T02:00:00Z Succeeded", "2026-01-02T02:00:00Z Succeeded", "2026-01-03T02:00:00Z Succeeded", "2026-01-04T02:00:00Z Succeeded"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("scheduled runs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := s.count(`SELECT COUNT(*) FROM jobs.job_executions WHERE job_name = N'off'`); n != 0 {
		t.Errorf("disabled job ran %d times", n)
	}
}

func TestOnceScheduleDisablesJob(t *testing.T) {
	s := newStack(t, nil)
	s.group("g", "Include SqlDatabase s d")
	s.job("once", "one g")
	s.exec(`EXEC jobs.sp_update_job @job_name = N'once', @enabled = 1, @schedule_start_time = @p1`, t0.Add(time.Hour))
	s.advance(59 * time.Minute)
	if n := s.count(`SELECT COUNT(*) FROM jobs.job_executions`); n != 0 {
		t.Fatalf("%d executions before the start time", n)
	}
	s.advance(10 * time.Hour)
	if n := s.count(`SELECT COUNT(*) FROM jobs.job_executions WHERE step_id IS NULL AND create_time = @p1`, t0.Add(time.Hour)); n != 1 {
		t.Errorf("%d runs at the start time, want 1", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM jobs.job_executions WHERE step_id IS NULL`); n != 1 {
		t.Errorf("%d runs in all, want 1", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM jobs.jobs WHERE job_name = N'once' AND enabled = 0`); n != 1 {
		t.Errorf("the Once job is still enabled")
	}
	// Enabling it again runs it again.
	s.exec(`EXEC jobs.sp_update_job @job_name = N'once', @enabled = 1`)
	s.advance(time.Minute)
	if n := s.count(`SELECT COUNT(*) FROM jobs.job_executions WHERE step_id IS NULL`); n != 2 {
		t.Errorf("%d runs after enabling again, want 2", n)
	}
}

func TestFleetChangeShowsInNextRun(t *testing.T) {
	s := newStack(t, &Fleet{Servers: []Server{{Name: "s", Databases: []Database{{Name: "a"}}}}})
	s.group("g", "Include SqlServer s")
	s.job("j", "one g")
	first := s.start("j")
	s.step()
	s.agent.SetFleet(&Fleet{Servers: []Server{{Name: "s", Databases: []Database{{Name: "a"}, {Name: "b"}}}}})
	second := s.start("j")
	s.step()
	if n := len(targets(s.tree(first), 1)); n != 1 {
		t.Errorf("first run has %d targets, want 1", n)
	}
	if got := summary(targets(s.tree(second), 1)); got != "1 SqlDatabase a Succeeded \n1 SqlDatabase b Succeeded \n" {
		t.Errorf("second run targets:\n%s", got)
	}
}

func (s *stack) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.sql.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", firstLine(query), err)
	}
	return n
}

func TestAgentRestartEndsOrphanedRuns(t *testing.T) {
	f := &Fleet{Servers: []Server{{Name: "s", Databases: []Database{{Name: "a", Duration: time.Hour}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlDatabase s a")
	s.job("j", "one g")
	running := s.start("j")
	s.step()
	s.agent = New(s.db, Options{Fleet: f, Clock: s.clock})
	fresh := s.start("j")
	s.step()
	for _, r := range s.tree(running) {
		if r.Lifecycle != "Failed" || r.Message != "The job execution was interrupted because the agent restarted." {
			t.Errorf("orphaned row = %s", r)
		}
	}
	wantLife(t, "new run", root(s.tree(fresh)), "WaitingForChildJobExecutions")
}

func TestDeleteJobForceCancels(t *testing.T) {
	f := &Fleet{Servers: []Server{{Name: "s", Databases: []Database{{Name: "a", Duration: time.Hour}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlDatabase s a")
	s.job("j", "one g")
	id := s.start("j")
	s.step()
	s.exec("EXEC jobs.sp_delete_job @job_name = N'j', @force = 1")
	s.step()
	rows := s.db.Executions(nil)
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if r.Lifecycle != "Canceled" || r.ExecutionID.String() != strings.ToUpper(id) && r.ExecutionID.String() != id {
			t.Errorf("row %+v", r)
		}
	}
}
