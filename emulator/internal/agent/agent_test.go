package agent

import (
	"strings"
	"testing"
	"time"
)

// testFleet: server s1 with standalone databases, master and two pools; server s2 with one
// database.
func testFleet() *Fleet {
	return &Fleet{Authentication: AuthManagedIdentity, DefaultDuration: 10 * time.Second, Servers: []Server{
		{Name: "s1.database.windows.net",
			Databases: []Database{{Name: "master"}, {Name: "db1"}, {Name: "db2"}},
			ElasticPools: []ElasticPool{
				{Name: "p1", Databases: []Database{{Name: "t1"}, {Name: "t2", Duration: 20 * time.Second}}},
				{Name: "p2", Databases: []Database{{Name: "t3"}}},
			}},
		{Name: "s2.database.windows.net", Databases: []Database{{Name: "solo", Duration: 5 * time.Second}}},
	}}
}

func TestSuccessAcrossAllTargets(t *testing.T) {
	s := newStack(t, testFleet())
	s.group("tenants",
		"Include SqlServer s1.database.windows.net",
		"Include SqlDatabase s2.database.windows.net solo",
		"Exclude SqlDatabase s1.database.windows.net db2",
		"Exclude SqlElasticPool s1.database.windows.net p2")
	s.job("nightly", "stats tenants")
	id := s.start("nightly")

	if r := root(s.tree(id)); r.Lifecycle != "Created" || !r.Start.IsZero() {
		t.Fatalf("before the agent ran: root = %s", r)
	}
	s.step()
	rows := s.tree(id)
	want := `0   WaitingForChildJobExecutions 
1   WaitingForChildJobExecutions 
1 SqlServer  Succeeded Enumerated 3 database(s); 2 more excluded by the target group.
1 SqlDatabase db1 InProgress 
1 SqlDatabase t1 InProgress 
1 SqlDatabase t2 InProgress 
1 SqlDatabase solo InProgress 
`
	if got := summary(rows); got != want {
		t.Fatalf("after pick-up:\n%s\nwant:\n%s", got, want)
	}
	for _, r := range targets(rows, 1) {
		if r.Attempts != 1 || !r.Start.Equal(t0) || !r.AttStart.Equal(t0) || r.Group != "tenants" || !r.Active {
			t.Errorf("target = %+v", r)
		}
	}
	if r := targets(rows, 1)[1]; r.Pool != "p1" || r.Server != "s1.database.windows.net" {
		t.Errorf("t1 pool/server = %q/%q", r.Pool, r.Server)
	}

	s.advance(10 * time.Second)
	rows = s.tree(id)
	for _, r := range targets(rows, 1) {
		want := "Succeeded"
		if r.Database == "t2" {
			want = "InProgress"
		}
		wantLife(t, r.Database, r, want)
	}
	if solo := targets(rows, 1)[3]; !solo.End.Equal(t0.Add(5 * time.Second)) {
		t.Errorf("solo end = %v, want t0+5s", solo.End)
	}
	s.advance(10 * time.Second)
	rows = s.tree(id)
	r := root(rows)
	wantLife(t, "root", r, "Succeeded")
	if !r.End.Equal(t0.Add(20*time.Second)) || r.Active || r.Attempts != 0 {
		t.Errorf("root = %+v", r)
	}
	st, _ := stepRow(rows, 1)
	wantLife(t, "step", st, "Succeeded")
	if st.StepName != "stats" || st.Group != "tenants" || !st.End.Equal(t0.Add(20*time.Second)) {
		t.Errorf("step = %+v", st)
	}
}

func TestNoFleet(t *testing.T) {
	s := newStack(t, nil)
	s.group("g", "Include SqlServer s1", "Include SqlElasticPool s1 p", "Include SqlDatabase s9 anything")
	s.job("j", "one g")
	id := s.start("j")
	s.step()
	rows := s.tree(id)
	want := `0   Succeeded 
1   Succeeded 
1 SqlServer  Succeeded Enumerated 0 database(s).
1 SqlElasticPool  Succeeded Enumerated 0 database(s).
1 SqlDatabase anything Succeeded 
`
	if got := summary(rows); got != want {
		t.Fatalf("rows:\n%s\nwant:\n%s", got, want)
	}
}

func TestRetryThenSuccess(t *testing.T) {
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{{Name: "flaky", Duration: time.Second,
		Failure: &Failure{Message: "deadlock", Number: 1205, Attempts: 2}}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlDatabase s flaky")
	// Delays: 2 s after attempt 1, then 2×3 = 6 s capped at 5 s after attempt 2.
	s.job("j", "one g @retry_attempts = 3, @initial_retry_interval_seconds = 2, @maximum_retry_interval_seconds = 5, @retry_interval_backoff_multiplier = 3")
	id := s.start("j")
	s.step()
	s.advance(time.Second)
	tg := targets(s.tree(id), 1)[0]
	wantLife(t, "after attempt 1", tg, "WaitingForRetry")
	if tg.Attempts != 1 || !tg.Next.Equal(t0.Add(3*time.Second)) || tg.Message != "Msg 1205, Level 16, State 1, Line 1: deadlock" || !tg.End.IsZero() {
		t.Errorf("after attempt 1: %+v", tg)
	}
	s.advance(2 * time.Second) // t0+3: attempt 2 starts
	tg = targets(s.tree(id), 1)[0]
	if tg.Lifecycle != "InProgress" || tg.Attempts != 2 || !tg.AttStart.Equal(t0.Add(3*time.Second)) || !tg.Next.IsZero() || !tg.Start.Equal(t0) {
		t.Errorf("attempt 2: %+v", tg)
	}
	s.advance(time.Second) // t0+4: attempt 2 failed
	tg = targets(s.tree(id), 1)[0]
	if tg.Lifecycle != "WaitingForRetry" || tg.Attempts != 2 || !tg.Next.Equal(t0.Add(9*time.Second)) {
		t.Errorf("after attempt 2: %+v", tg)
	}
	s.advance(4*time.Second + 999*time.Millisecond)
	if tg = targets(s.tree(id), 1)[0]; tg.Lifecycle != "WaitingForRetry" {
		t.Errorf("before the capped delay ran out: %+v", tg)
	}
	s.advance(time.Second + time.Millisecond) // t0+10: attempt 3 succeeded
	rows := s.tree(id)
	tg = targets(rows, 1)[0]
	if tg.Lifecycle != "Succeeded" || tg.Attempts != 3 || !tg.AttStart.Equal(t0.Add(9*time.Second)) || !tg.End.Equal(t0.Add(10*time.Second)) || tg.Message != "" {
		t.Errorf("attempt 3: %+v", tg)
	}
	wantLife(t, "root", root(rows), "Succeeded")
}

func TestFailureAfterRetriesExhausted(t *testing.T) {
	f := &Fleet{Authentication: AuthManagedIdentity, Servers: []Server{{Name: "s", Databases: []Database{
		{Name: "broken", Failure: &Failure{Message: "Invalid object name 'x'.", Number: 208, Always: true}},
		{Name: "fine"}}}}}
	s := newStack(t, f)
	s.group("g", "Include SqlServer s")
	s.job("j", "one g @retry_attempts = 2, @initial_retry_interval_seconds = 1")
	id := s.start("j")
	s.advance(time.Minute)
	rows := s.tree(id)
	tg := targets(rows, 1)
	if tg[0].Database != "broken" || tg[0].Lifecycle != "Failed" || tg[0].Attempts != 3 || !strings.Contains(tg[0].Message, "Msg 208") {
		t.Errorf("broken = %+v", tg[0])
	}
	// Attempts at t0, t0+1 (delay 1), t0+3 (delay 2).
	if !tg[0].AttStart.Equal(t0.Add(3*time.Second)) || !tg[0].End.Equal(t0.Add(3*time.Second)) {
		t.Errorf("broken timing = %+v", tg[0])
	}
	wantLife(t, "fine", tg[1], "Succeeded")
	st, _ := stepRow(rows, 1)
	wantLife(t, "step", st, "Failed")
	r := root(rows)
	wantLife(t, "root", r, "Failed")
	if !strings.Contains(r.Message, "Step 1 (one)") {
		t.Errorf("root message = %q", r.Message)
	}
}

func TestMissingDatabaseFails(t *testing.T) {
	s := newStack(t, testFleet())
	s.group("g", "Include SqlDatabase s1.database.windows.net nope", "Include SqlServer s3")
	s.job("j", "one g @retry_attempts = 0")
	id := s.start("j")
	s.advance(time.Minute)
	rows := s.tree(id)
	want := `0   Failed Step 1 (one): The step failed on 2 of 2 target(s).
1   Failed The step failed on 2 of 2 target(s).
1 SqlServer  Failed Failed to enumerate databases: server 's3' was not found.
1 SqlDatabase nope Failed Msg 4060, Level 11, State 1: Cannot open database "nope" requested by the login. The login failed.
`
	if got := summary(rows); got != want {
		t.Fatalf("rows:\n%s\nwant:\n%s", got, want)
	}
}

func TestExampleFleet(t *testing.T) {
	f, err := LoadFleet("../../../examples/fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f.Authentication = AuthManagedIdentity
	s := newStack(t, f)
	s.group("tenants", "Include SqlServer tenants-1.database.windows.net", "Exclude SqlElasticPool tenants-1.database.windows.net pool-b")
	s.job("j", "one tenants @retry_attempts = 2, @initial_retry_interval_seconds = 1, @max_parallelism = 1")
	id := s.start("j")
	s.step()
	if n := len(s.db.ActiveExecutions()); n != 9 {
		t.Errorf("%d active rows, want root, step and 7 databases", n)
	}
	s.advance(time.Hour)
	if n := len(s.db.ActiveExecutions()); n != 0 {
		t.Errorf("%d active rows after the run", n)
	}
	want := `0   Failed Step 1 (one): The step failed on 1 of 8 target(s).
1   Failed The step failed on 1 of 8 target(s).
1 SqlServer  Succeeded Enumerated 7 database(s); 2 more excluded by the target group.
1 SqlDatabase broken Failed Msg 208, Level 16, State 1, Line 1: Invalid object name 'dbo.missing'.
1 SqlDatabase flaky Succeeded 
1 SqlDatabase reporting Succeeded 
1 SqlDatabase scratch Succeeded 
1 SqlDatabase tenant-001 Succeeded 
1 SqlDatabase tenant-002 Succeeded 
1 SqlDatabase tenant-003 Succeeded 
`
	rows := s.tree(id)
	if got := summary(rows); got != want {
		t.Fatalf("rows:\n%s\nwant:\n%s", got, want)
	}
	for _, r := range targets(rows, 1) {
		if r.Database == "flaky" && r.Attempts != 3 {
			t.Errorf("flaky ran %d attempts, want 3", r.Attempts)
		}
	}
	// pool-a runs one database at a time: 2 s + 2 s + 10 s; reporting takes 45 s.
	if r := root(rows); !r.End.Equal(t0.Add(45 * time.Second)) {
		t.Errorf("root ended at %v", r.End)
	}
}
