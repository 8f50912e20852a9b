package agent

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestScheduleOccurrences(t *testing.T) {
	d := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	far := d("9999-12-31T11:59:59Z")
	cases := []struct {
		name      string
		js        jobSchedule
		now       string
		due, next string // "" = none
	}{
		{"before start", jobSchedule{IntervalType: "Hours", IntervalCount: 2, Start: d("2026-01-01T10:00:00Z"), End: far}, "2026-01-01T09:59:59Z", "", "2026-01-01T10:00:00Z"},
		{"at start", jobSchedule{IntervalType: "Hours", IntervalCount: 2, Start: d("2026-01-01T10:00:00Z"), End: far}, "2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z", "2026-01-01T12:00:00Z"},
		{"between", jobSchedule{IntervalType: "Minutes", IntervalCount: 15, Start: d("2026-01-01T10:05:00Z"), End: far}, "2026-01-01T11:00:00Z", "2026-01-01T10:50:00Z", "2026-01-01T11:05:00Z"},
		{"weeks", jobSchedule{IntervalType: "Weeks", IntervalCount: 1, Start: d("2026-01-01T00:00:00Z"), End: far}, "2026-01-20T00:00:00Z", "2026-01-15T00:00:00Z", "2026-01-22T00:00:00Z"},
		{"months", jobSchedule{IntervalType: "Months", IntervalCount: 2, Start: d("2026-01-15T06:00:00Z"), End: far}, "2026-05-15T05:00:00Z", "2026-03-15T06:00:00Z", "2026-05-15T06:00:00Z"},
		{"default start far past", jobSchedule{IntervalType: "Days", IntervalCount: 1, Start: d("0001-01-01T00:00:00Z"), End: far}, "2026-03-04T05:06:07Z", "2026-03-04T00:00:00Z", "2026-03-05T00:00:00Z"},
		{"after end", jobSchedule{IntervalType: "Days", IntervalCount: 1, Start: d("2026-01-01T00:00:00Z"), End: d("2026-01-03T12:00:00Z")}, "2026-01-03T13:00:00Z", "", ""},
		{"last inside end", jobSchedule{IntervalType: "Days", IntervalCount: 1, Start: d("2026-01-01T00:00:00Z"), End: d("2026-01-03T12:00:00Z")}, "2026-01-03T11:00:00Z", "2026-01-03T00:00:00Z", ""},
		{"once", jobSchedule{IntervalType: "Once", IntervalCount: 1, Start: d("2026-01-01T00:00:00Z"), End: far}, "2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z", ""},
		{"bad type", jobSchedule{IntervalType: "Fortnights", IntervalCount: 1, Start: d("2026-01-01T00:00:00Z"), End: far}, "2026-02-01T00:00:00Z", "", ""},
		{"zero count", jobSchedule{IntervalType: "Days", Start: d("2026-01-01T00:00:00Z"), End: far}, "2026-02-01T00:00:00Z", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := d(tc.now)
			due, ok := latestDue(tc.js, now)
			if got := fmtOpt(due, ok); got != tc.due {
				t.Errorf("latestDue = %q, want %q", got, tc.due)
			}
			next, ok := nextAfter(tc.js, now)
			if got := fmtOpt(next, ok); got != tc.next {
				t.Errorf("nextAfter = %q, want %q", got, tc.next)
			}
		})
	}
}

func fmtOpt(t time.Time, ok bool) string {
	if !ok {
		return ""
	}
	return t.Format(time.RFC3339)
}

func TestRetryDelay(t *testing.T) {
	s := &stepDef{InitialRetry: 1, MaxRetry: 120, Multiplier: 2}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 64 * time.Second, 120 * time.Second, 120 * time.Second}
	for i, w := range want {
		if got := retryDelay(s, int64(i+1)); got != w {
			t.Errorf("retryDelay(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := retryDelay(&stepDef{InitialRetry: 1, MaxRetry: 2147483, Multiplier: 1e30}, 1000); got != 2147483*time.Second {
		t.Errorf("huge multiplier: %v", got)
	}
	if got := retryDelay(&stepDef{InitialRetry: 0, MaxRetry: 0, Multiplier: 1}, 3); got != 0 {
		t.Errorf("zero interval: %v", got)
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

func TestNoSchedules(t *testing.T) {
	s := newStack(t, nil)
	s.agent = New(s.db, Options{Clock: s.clock, NoSchedules: true})
	s.group("g", "Include SqlDatabase s d")
	s.job("hourly", "one g")
	s.exec(`EXEC jobs.sp_update_job @job_name = N'hourly', @enabled = 1, @schedule_interval_type = N'Hours',
		@schedule_start_time = @p1`, t0.Add(-30*time.Minute))
	s.advance(3 * time.Hour)
	if n := s.count(`SELECT COUNT(*) FROM jobs.job_executions`); n != 0 {
		t.Fatalf("%d executions from a schedule", n)
	}
	id := s.start("hourly")
	s.step()
	wantLife(t, "started run", root(s.tree(id)), "Succeeded")
}

// A Once job enabled before it has a step is not consumed when it comes due: it fires when the
// step is added (Microsoft's Wingtip Tickets sample adds the step in a later batch).
func TestOnceJobWaitsForItsStep(t *testing.T) {
	s := newStack(t, nil)
	s.group("g", "Include SqlDatabase s d")
	s.exec(`EXEC jobs.sp_add_job @job_name = N'once', @enabled = 1, @schedule_interval_type = N'Once', @schedule_start_time = @p1`, t0)
	s.advance(time.Hour)
	if n := s.count(`SELECT COUNT(*) FROM jobs.job_executions`); n != 0 {
		t.Fatalf("%d executions of a job without steps", n)
	}
	if n := s.count(`SELECT COUNT(*) FROM jobs.jobs WHERE job_name = N'once' AND enabled = 1`); n != 1 {
		t.Fatal("the Once job was disabled before it ran")
	}
	s.exec(`EXEC jobs.sp_add_jobstep @job_name = N'once', @command = N'SELECT 1', @target_group_name = N'g'`)
	s.advance(time.Minute)
	if n := s.count(`SELECT COUNT(*) FROM jobs.job_executions WHERE step_id IS NULL`); n != 1 {
		t.Errorf("%d runs after the step was added, want 1", n)
	}
}

// Monthly occurrences keep the start's day, clamped to the end of shorter months, as .NET's
// DateTime.AddMonths does ("DateTime.AddMonths(Int32) Method").
func TestMonthlyOccurrencesClampToMonthEnd(t *testing.T) {
	start := time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC)
	for k, want := range []string{"2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"} {
		if got := occurrence(start, 0, 1, int64(k)).Format(time.DateOnly); got != want {
			t.Errorf("occurrence %d = %s, want %s", k, got, want)
		}
	}
	if got := addMonths(time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC), 1).Format(time.DateOnly); got != "2028-02-29" {
		t.Errorf("leap year: %s", got)
	}
	js := jobSchedule{IntervalType: "Months", IntervalCount: 1, Start: start, End: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}
	if next, ok := nextAfter(js, start); !ok || !next.Equal(time.Date(2026, 2, 28, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("next after the start = %v", next)
	}
	if due, ok := latestDue(js, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); !ok || due.Day() != 28 {
		t.Errorf("latest due on March 1 = %v", due)
	}
}
