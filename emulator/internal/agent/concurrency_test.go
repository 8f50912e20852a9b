package agent

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSkippedWhenStepAlreadyRuns(t *testing.T) {
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{{Name: "a", Duration: time.Minute}}}}}
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
1   SucceededWithSkipped The step was skipped on 1 of 1 target(s).
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
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s",
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
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{
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

// An agent tier caps the concurrent target connections over all runs ("Elastic jobs in Azure
// SQL Database", section "Concurrent capacity tiers": JA100 serves 100 concurrent targets); the
// other targets wait their turn.
func TestTierCapsConnections(t *testing.T) {
	var dbs []Database
	for i := range 250 {
		dbs = append(dbs, Database{Name: "d" + strconv.Itoa(i), Duration: 10 * time.Second})
	}
	s := newStack(t, &Fleet{Authentication: AuthManagedIdentity, Tier: "JA100", Servers: []Server{{Name: "s", Databases: dbs}}})
	s.group("g", "Include SqlServer s")
	s.job("j1", "one g")
	s.job("j2", "one g")
	ids := []string{s.start("j1"), s.start("j2")}
	inProgress := `SELECT COUNT(*) FROM jobs.job_executions WHERE target_type = N'SqlDatabase' AND lifecycle = N'InProgress'`
	s.step()
	for i := 0; i < 5; i++ {
		if n := s.count(inProgress); n != 100 {
			t.Fatalf("after %d s: %d targets in progress, want 100", i*10, n)
		}
		s.advance(10 * time.Second)
	}
	// The earlier run is served first: its 250 targets take 3 rounds, the later run's 2 more.
	for i, end := range []time.Duration{30 * time.Second, 50 * time.Second} {
		r := root(s.tree(ids[i]))
		wantLife(t, "run", r, "Succeeded")
		if !r.End.Equal(t0.Add(end)) {
			t.Errorf("run %d ended at %v, want %v", i+1, r.End.Sub(t0), end)
		}
	}
	if _, err := ParseFleet("f.yaml", []byte("tier: JA300\n")); err == nil || !strings.Contains(err.Error(), "tier must be JA100, JA200, JA400 or JA800") {
		t.Errorf("tier JA300: %v", err)
	}
}
