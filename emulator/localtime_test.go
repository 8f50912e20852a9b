package emulator

import (
	"database/sql"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/agent"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// TestLocalSchedulesFireAtLocalTime drives the agent simulation on a simulated clock through the
// weeks Chicago springs forward and falls back, with ejops applying the specs as its sidecar does:
// at the start and again when the plan says. The agent fires the job at 08:00 local time every day;
// the job at 02:30, which does not exist on the day of the spring change, at 03:30 CDT that day; the
// job at 01:30, which exists twice on the day of the fall change, once, at 01:30 CDT. Each start
// time moves once.
func TestLocalSchedulesFireAtLocalTime(t *testing.T) {
	tests := []struct {
		name     string
		from, to time.Time
		odd      string // the time of day of the second job
		want     map[string][]string
	}{
		{"spring forward", time.Date(2027, 3, 11, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 18, 0, 0, 0, 0, time.UTC), "02:30",
			map[string][]string{
				"eight": {"03-11 14:00", "03-12 14:00", "03-13 14:00", "03-14 13:00", "03-15 13:00", "03-16 13:00", "03-17 13:00"},
				"odd":   {"03-11 08:30", "03-12 08:30", "03-13 08:30", "03-14 08:30", "03-15 07:30", "03-16 07:30", "03-17 07:30"},
			}},
		{"fall back", time.Date(2027, 11, 4, 0, 0, 0, 0, time.UTC), time.Date(2027, 11, 11, 0, 0, 0, 0, time.UTC), "01:30",
			map[string][]string{
				"eight": {"11-04 13:00", "11-05 13:00", "11-06 13:00", "11-07 14:00", "11-08 14:00", "11-09 14:00", "11-10 14:00"},
				"odd":   {"11-04 06:30", "11-05 06:30", "11-06 06:30", "11-07 06:30", "11-08 07:30", "11-09 07:30", "11-10 07:30"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fired := fireWithSidecar(t, tt.from, tt.to, tt.odd)
			for job, w := range tt.want {
				if strings.Join(fired[job], ", ") != strings.Join(w, ", ") {
					t.Errorf("job %s fired at (UTC) %v, want %v", job, fired[job], w)
				}
			}
		})
	}
}

// fireWithSidecar applies two daily jobs in Chicago, at 08:00 and at odd, then moves the simulated
// clock from from to to in five-minute steps, applying again when the plan says, and returns when
// the agent started each job (in UTC, after from).
func fireWithSidecar(t *testing.T, from, to time.Time, odd string) map[string][]string {
	t.Helper()
	clock := agent.NewFakeClock(from)
	e, addr := listen(t, Options{Clock: clock})
	db, err := jobdb.Open(e.DSN(addr), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	daily := func(name, at string) runner.DesiredJob {
		return runner.DesiredJob{Name: name, Enabled: true, IntervalType: "Days", IntervalCount: 1, Start: runner.ScheduleMinStart,
			End: runner.ScheduleMaxEnd, At: at, TimeZone: "America/Chicago", Steps: []runner.DesiredStep{{Name: "s", Command: "SELECT 1;",
				TargetGroup: "g", InitialRetrySecs: 1, MaxRetrySecs: 120, BackoffMultiplier: 2, RetryAttempts: 10, TimeoutSecs: 43200}}}
	}
	desired := &runner.Desired{
		TargetGroups: []runner.DesiredTargetGroup{{Name: "g", Members: []runner.DesiredMember{{Membership: "Include", Type: "SqlDatabase", Server: "s1", Database: "d1"}}}},
		Jobs:         []runner.DesiredJob{daily("eight", "08:00"), daily("odd", odd)},
	}
	apply := func() time.Time {
		t.Helper()
		live, err := db.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		p, err := runner.Diff(desired, live, runner.Options{Scope: "default", Now: clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := runner.Apply(t.Context(), db, p, runner.ApplyOptions{Secret: func(spec.SecretRef) (string, error) { return "", nil }, LockWait: time.Second}); err != nil {
			t.Fatal(err)
		}
		return p.Reapply()
	}
	next := apply()
	e.ResetStats()
	for now := from; now.Before(to); now = now.Add(5 * time.Minute) {
		clock.AdvanceTo(now)
		if !next.IsZero() && !now.Before(next) {
			next = apply()
		}
		if err := e.Agent().Step(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.Stats().Procs["jobs.sp_update_job"]; n != 2 {
		t.Errorf("%d sp_update_job calls, want one per job", n)
	}
	// The clock moves in steps that fall on each run's time: an execution is created at its run.
	// Those created at from are the agent catching up, when the jobs are created, with their runs
	// of the day before.
	rows, err := sqlDB(t, e, addr).Query("SELECT job_name, create_time FROM jobs.job_executions WHERE step_id IS NULL AND create_time > @p1 ORDER BY create_time", from)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	fired := map[string][]string{}
	for rows.Next() {
		var job string
		var created time.Time
		if err := rows.Scan(&job, &created); err != nil {
			t.Fatal(err)
		}
		fired[job] = append(fired[job], created.UTC().Format("01-02 15:04"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return fired
}

// sqlDB opens a database/sql handle on the emulator at addr for the test.
func sqlDB(t *testing.T, e *Emulator, addr net.Addr) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlserver", e.DSN(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
