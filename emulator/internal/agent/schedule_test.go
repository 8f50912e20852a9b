package agent

import (
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
