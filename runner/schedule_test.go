package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

func mustUTC(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// localJob is a desired job that runs every interval at a time of day in a zone.
func localJob(t testing.TB, every, at, zone, start string) DesiredJob {
	t.Helper()
	typ, n, err := spec.ParseInterval(every)
	if err != nil {
		t.Fatal(err)
	}
	j := DesiredJob{Name: "j", Enabled: true, IntervalType: typ, IntervalCount: n, Start: ScheduleMinStart, End: ScheduleMaxEnd,
		Steps: []DesiredStep{}, At: at, TimeZone: zone}
	if start != "" {
		j.Start = mustUTC(start)
	}
	return j
}

// occurrences returns the runs the agent makes of a UTC schedule in [from, to): the start time
// plus whole intervals, months added to the UTC date (as the emulator's agent does).
func occurrences(j DesiredJob, from, to time.Time) []time.Time {
	var out []time.Time
	for k := 0; ; k++ {
		var t time.Time
		switch j.IntervalType {
		case "Months":
			t = j.Start.AddDate(0, k*j.IntervalCount, 0)
		case "Weeks":
			t = j.Start.Add(time.Duration(k*j.IntervalCount) * 7 * 24 * time.Hour)
		default:
			t = j.Start.Add(time.Duration(k*j.IntervalCount) * 24 * time.Hour)
		}
		if !t.Before(to) || t.After(j.End) {
			return out
		}
		if !t.Before(from) {
			out = append(out, t)
		}
	}
}

// sidecar simulates apply --watch over [from, to): it applies at from and again whenever the
// plan says a schedule must be re-applied, and returns the runs the agent makes of what it
// applied, the number of applies that moved the start time, and the times they did.
func sidecar(t *testing.T, j DesiredJob, from, to time.Time) (runs []time.Time, moves []time.Time) {
	t.Helper()
	var applied DesiredJob
	for now := from; now.Before(to); {
		c, ls, err := compileLocal(j, now)
		if err != nil {
			t.Fatal(err)
		}
		if applied.Name != "" && !c.Start.Equal(applied.Start) {
			moves = append(moves, now)
		}
		applied = c
		next := to
		if !ls.Reapply.IsZero() && ls.Reapply.Before(to) {
			if !ls.Reapply.After(now) {
				t.Fatalf("at %s: re-apply at %s is not later", now, ls.Reapply)
			}
			next = ls.Reapply
		}
		runs = append(runs, occurrences(applied, now, next)...)
		now = next
	}
	return runs, moves
}

// TestLocalSchedulesKeepTheirTimeOfDay checks every run of two years: the agent's UTC arithmetic on
// the compiled schedule, re-applied when the plan says, runs the job once on each day of the
// interval, at the local time of day, or as much later as the clocks jumped when that time is
// skipped; the start time moves exactly once per offset change, at the change.
func TestLocalSchedulesKeepTheirTimeOfDay(t *testing.T) {
	from, to := mustUTC("2026-01-01T00:00:00Z"), mustUTC("2028-01-01T00:00:00Z")
	type sched struct{ every, at, start string }
	scheds := []sched{
		{"1d", "08:00", ""},
		{"1d", "02:30", ""}, // skipped on spring-forward days in Europe and America
		{"1d", "01:30", ""}, // shown twice on fall-back days in America
		{"1d", "02:15", ""}, // skipped or shown twice at Lord Howe and in Europe
		{"1d", "23:45", ""},
		{"1d", "00:00", ""},
		{"2d", "06:00", "2026-01-03T00:00:00Z"},
		{"1w", "02:30", "2026-01-04T00:00:00Z"}, // Sundays: the changes' day in America, Europe, Australia
		{"2w", "09:00", "2026-01-07T00:00:00Z"},
		{"1mo", "08:00", "2026-01-15T00:00:00Z"},
		{"1mo", "02:30", "2026-01-10T00:00:00Z"},
		{"3mo", "22:00", "2026-02-20T00:00:00Z"},
	}
	zones := []string{"America/Chicago", "Europe/Amsterdam", "Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata"}
	for _, zone := range zones {
		loc, err := spec.LoadZone(zone)
		if err != nil {
			t.Fatal(err)
		}
		var changes []time.Time
		for c := spec.NextOffsetChange(loc, from); !c.IsZero() && c.Before(to); c = spec.NextOffsetChange(loc, c) {
			changes = append(changes, c)
		}
		for _, sc := range scheds {
			t.Run(fmt.Sprintf("%s every %s at %s", zone, sc.every, sc.at), func(t *testing.T) {
				j := localJob(t, sc.every, sc.at, zone, sc.start)
				s, err := j.localSchedule()
				if err != nil {
					t.Fatal(err)
				}
				runs, moves := sidecar(t, j, from, to)
				var want []time.Time
				for r, ok := s.NextRun(from); ok && r.Before(to); r, ok = s.NextRun(r.Add(time.Nanosecond)) {
					want = append(want, r)
				}
				if len(runs) != len(want) {
					t.Fatalf("%d runs, want %d", len(runs), len(want))
				}
				days := map[string]bool{}
				for i, r := range runs {
					if !r.Equal(want[i]) {
						t.Fatalf("run %d at %s, want %s", i, r.In(loc), want[i].In(loc))
					}
					checkWallClock(t, loc, s.At, r)
					day := r.In(loc).Format(time.DateOnly)
					if days[day] {
						t.Fatalf("two runs on %s", day)
					}
					days[day] = true
				}
				checkMoves(t, moves, changes, runs)
				checkQuiet(t, j, from, to, moves)
			})
		}
	}
}

// checkWallClock checks that a run reads at on the clocks, or, when at was skipped that day, as
// much later as the clocks jumped.
func checkWallClock(t *testing.T, loc *time.Location, at spec.Clock, r time.Time) {
	t.Helper()
	local := r.In(loc)
	want := time.Date(local.Year(), local.Month(), local.Day(), at.Hour, at.Minute, 0, 0, time.UTC)
	got := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), 0, 0, time.UTC)
	if got.Equal(want) {
		return
	}
	_, before := r.Add(-3 * time.Hour).In(loc).Zone()
	_, after := r.In(loc).Zone()
	if jump := time.Duration(after-before) * time.Second; jump <= 0 || !got.Equal(want.Add(jump)) {
		t.Fatalf("run at %s reads %s on the clocks, want %s", r, local.Format("2006-01-02 15:04 MST"), at)
	}
	// The clocks really skipped at: it reads differently an instant either way of the jump.
	if w := spec.Wall(loc, local.Year(), local.Month(), local.Day(), at.Hour, at.Minute, 0); w.In(loc).Hour() == at.Hour && w.In(loc).Minute() == at.Minute {
		t.Fatalf("run at %s moved, but %s exists that day", r, at)
	}
}

// checkMoves checks that the start time moved once per offset change, at the change, or after the
// run at a skipped time that the change's day had.
func checkMoves(t *testing.T, moves, changes, runs []time.Time) {
	t.Helper()
	i := 0
	for _, c := range changes {
		// A change with no run between it and the next one moves nothing.
		next := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, d := range changes {
			if d.After(c) {
				next = d
				break
			}
		}
		hasRun := false
		for _, r := range runs {
			if !r.Before(c) && r.Before(next) {
				hasRun = true
				break
			}
		}
		if !hasRun {
			continue
		}
		if i >= len(moves) {
			t.Fatalf("the start time did not move at the change of %s (moves at %v)", c, moves)
		}
		if m := moves[i]; m.Before(c) || m.After(c.Add(2*time.Hour)) {
			t.Fatalf("the start time moved at %s for the change of %s", m, c)
		}
		i++
	}
	if i != len(moves) {
		t.Fatalf("the start time moved %d times (%v), for %d offset changes with runs after them", len(moves), moves, i)
	}
}

// checkQuiet checks that plans between the moves find the start time the last move applied: a
// plan at any time of day compiles the same start time until the next move.
func checkQuiet(t *testing.T, j DesiredJob, from, to time.Time, moves []time.Time) {
	t.Helper()
	bounds := append([]time.Time{from}, moves...)
	for i, b := range bounds {
		end := to
		if i+1 < len(bounds) {
			end = bounds[i+1]
		}
		first, _, _ := compileLocal(j, b)
		for now := b; now.Before(end); now = now.Add(7*time.Hour + 13*time.Minute) {
			if c, _, _ := compileLocal(j, now); !c.Start.Equal(first.Start) {
				t.Fatalf("a plan at %s moves the start time to %s; it is %s from %s until %s", now, c.Start, first.Start, b, end)
			}
		}
		if last, _, _ := compileLocal(j, end.Add(-time.Second)); !last.Start.Equal(first.Start) {
			t.Fatalf("a plan just before %s moves the start time to %s; it is %s from %s", end, last.Start, first.Start, b)
		}
	}
}

func TestCompileEdgeCases(t *testing.T) {
	tests := []struct {
		name                 string
		every, at, zone      string
		start, end           string
		now                  string
		wantStart, wantAfter string // wantAfter "": never re-applied
	}{
		{"winter: the first run since the fall-back change", "1d", "08:00", "America/Chicago", "", "",
			"2026-12-04T17:00:00Z", "2026-11-01T14:00:00Z", "2027-03-14T08:00:00Z"},
		{"at the change: the first run in daylight time", "1d", "08:00", "America/Chicago", "", "",
			"2027-03-14T08:00:00Z", "2027-03-14T13:00:00Z", "2027-11-07T07:00:00Z"},
		{"a skipped time: the old start stays until its run (03:30 CDT) is past", "1d", "02:30", "America/Chicago", "", "",
			"2027-03-14T08:05:00Z", "2026-11-01T08:30:00Z", "2027-03-14T08:40:00Z"},
		{"a skipped time: then the start moves to the next day", "1d", "02:30", "America/Chicago", "", "",
			"2027-03-14T08:40:00Z", "2027-03-15T07:30:00Z", "2027-11-07T07:00:00Z"},
		{"a repeated time runs once: the new start is the next day", "1d", "01:30", "America/Chicago", "", "",
			"2026-11-01T07:00:00Z", "2026-11-02T07:30:00Z", "2027-03-14T08:00:00Z"},
		{"weekly on Sundays, the changes' day", "1w", "02:30", "America/Chicago", "2027-01-03T06:00:00Z", "",
			"2027-03-14T08:00:00Z", "2027-01-03T08:30:00Z", "2027-03-14T08:40:00Z"},
		{"a thirty-minute skip", "1d", "02:15", "Australia/Lord_Howe", "", "",
			"2026-10-03T15:30:00Z", "2026-04-04T15:45:00Z", "2026-10-03T15:55:00Z"},
		{"southern hemisphere: daylight time in January", "1d", "08:00", "Australia/Sydney", "", "",
			"2027-01-15T00:00:00Z", "2026-10-03T21:00:00Z", "2027-04-03T16:00:00Z"},
		{"a zone without changes since 1945", "1d", "08:00", "Asia/Kolkata", "", "",
			"2026-12-04T17:00:00Z", "1945-10-15T02:30:00Z", ""},
		{"UTC", "1mo", "08:00", "UTC", "", "",
			"2026-12-04T17:00:00Z", "0001-01-01T08:00:00Z", ""},
		{"not started yet: its first run, moved after the change after it", "1d", "08:00", "America/Chicago", "2027-06-01T05:00:00Z", "",
			"2026-12-04T17:00:00Z", "2027-06-01T13:00:00Z", "2027-11-07T07:00:00Z"},
		{"ended: the start of its last runs stays", "1d", "08:00", "America/Chicago", "", "2026-06-01T05:00:00Z",
			"2026-12-04T17:00:00Z", "2026-03-08T13:00:00Z", ""},
		{"ends before the next change: never re-applied", "1d", "08:00", "America/Chicago", "", "2027-03-01T06:00:00Z",
			"2026-12-04T17:00:00Z", "2026-11-01T14:00:00Z", ""},
		{"no run between start and end: start kept before end", "1d", "08:00", "America/Chicago", "2027-01-01T06:00:00Z", "2027-01-01T07:00:00Z",
			"2026-12-04T17:00:00Z", "2027-01-01T06:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := localJob(t, tt.every, tt.at, tt.zone, tt.start)
			if tt.end != "" {
				j.End = mustUTC(tt.end)
			}
			c, ls, err := compileLocal(j, mustUTC(tt.now))
			if err != nil {
				t.Fatal(err)
			}
			if !c.Start.Equal(mustUTC(tt.wantStart)) {
				t.Errorf("start = %s, want %s", c.Start.Format(time.RFC3339), tt.wantStart)
			}
			if (tt.wantAfter == "") != ls.Reapply.IsZero() || tt.wantAfter != "" && !ls.Reapply.Equal(mustUTC(tt.wantAfter)) {
				t.Errorf("re-apply after %s, want %q", ls.Reapply.Format(time.RFC3339), tt.wantAfter)
			}
			if c.At != "" || c.TimeZone != "" || c.IntervalType != j.IntervalType || !c.End.Equal(j.End) {
				t.Errorf("compiled job %+v is not a UTC job with the same interval and end", c)
			}
		})
	}
}

func TestLocalScheduleNextRuns(t *testing.T) {
	j := localJob(t, "1d", "08:00", "America/Chicago", "")
	_, ls, err := compileLocal(j, mustUTC("2027-03-12T20:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{mustUTC("2027-03-13T14:00:00Z"), mustUTC("2027-03-14T13:00:00Z"), mustUTC("2027-03-15T13:00:00Z")}
	if fmt.Sprint(ls.NextRuns) != fmt.Sprint(want) || ls.Every != "1d" || ls.At != "08:00" || ls.TimeZone != "America/Chicago" {
		t.Errorf("LocalSchedule = %+v, want next runs %v", ls, want)
	}
}

// TestPlansAcrossAChange: plans between two offset changes are empty once applied, the change
// makes one sp_update_job of the start time alone, and the spec hash moves with it.
func TestPlansAcrossAChange(t *testing.T) {
	j := localJob(t, "1d", "08:00", "America/Chicago", "")
	j.Name = "nightly"
	d := &Desired{Jobs: []DesiredJob{j}}
	plan := func(live *jobdb.State, now string) *Plan {
		t.Helper()
		p, err := Diff(d, live, Options{Scope: "default", Secret: noSecret, Now: mustUTC(now)})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := plan(&jobdb.State{}, "2026-12-04T17:00:00Z")
	if got := procs(first); fmt.Sprint(got) != "[jobs.sp_add_job]" || len(first.Schedules) != 1 {
		t.Fatalf("first plan calls %v with schedules %+v", got, first.Schedules)
	}
	created := first.Changes[0].Ops[0].Args
	live := &jobdb.State{HasInventory: true, Jobs: []jobdb.Job{{Name: "nightly", Enabled: true, IntervalType: "Days", IntervalCount: 1,
		Start: mustUTC("2026-11-01T14:00:00Z"), End: ScheduleMaxEnd}},
		Inventory: []jobdb.Owned{{Scope: "default", Kind: KindJob, Name: "nightly", SpecHash: first.Inventory[0].Hash}}}
	if fmt.Sprint(created) != fmt.Sprint(Op{Proc: "jobs.sp_add_job", Args: []Arg{{"job_name", "nightly"}, {"description", ""}, {"enabled", true},
		{"schedule_interval_type", "Days"}, {"schedule_interval_count", int64(1)}, {"schedule_start_time", live.Jobs[0].Start},
		{"schedule_end_time", ScheduleMaxEnd}}}.Args) {
		t.Fatalf("sp_add_job arguments %v", created)
	}
	for _, now := range []string{"2026-12-04T17:00:01Z", "2027-01-20T03:00:00Z", "2027-03-14T07:59:59Z"} {
		if p := plan(live, now); p.Writes() {
			t.Errorf("plan at %s writes: %v %+v", now, procs(p), p.Inventory)
		}
	}
	after := plan(live, "2027-03-14T08:00:00Z")
	if len(after.Changes) != 1 || fmt.Sprint(after.Changes[0].Ops[0].Args) != fmt.Sprint([]Arg{{"job_name", "nightly"},
		{"schedule_start_time", mustUTC("2027-03-14T13:00:00Z")}}) {
		t.Fatalf("plan at the change: %+v", after.Changes)
	}
	if len(after.Inventory) != 1 || after.Inventory[0].Hash == first.Inventory[0].Hash {
		t.Errorf("the spec hash did not move with the start time: %+v", after.Inventory)
	}
	if got := after.Reapply(); !got.Equal(mustUTC("2027-11-07T07:00:00Z")) {
		t.Errorf("Reapply = %s", got)
	}
}

func TestUnknownZoneFailsThePlan(t *testing.T) {
	j := localJob(t, "1d", "08:00", "Mars/Olympus_Mons", "")
	_, err := Diff(&Desired{Jobs: []DesiredJob{j}}, &jobdb.State{}, Options{Scope: "default", Secret: noSecret, Now: time.Now()})
	if err == nil || !strings.Contains(err.Error(), `job "j": unknown time zone "Mars/Olympus_Mons"`) {
		t.Fatalf("Diff error = %v", err)
	}
}

// TestSavedPlanKeepsTheCompiledStart: a saved plan holds the UTC schedule compiled when it was
// made, and applies it as reviewed, even after an offset change.
func TestSavedPlanKeepsTheCompiledStart(t *testing.T) {
	j := localJob(t, "1d", "08:00", "America/Chicago", "")
	live := &jobdb.State{Server: "s", Database: "d"}
	opt := Options{Scope: "default", Secret: noSecret, Now: mustUTC("2027-03-14T07:00:00Z")}
	pf := saved(t, &Desired{Jobs: []DesiredJob{j}}, live, opt)
	if got := pf.Desired.Jobs[0]; !got.Start.Equal(mustUTC("2026-11-01T14:00:00Z")) || got.TimeZone != "" {
		t.Fatalf("saved job %+v", got)
	}
	opt.Now = mustUTC("2027-03-14T09:00:00Z")
	p, err := pf.Diff(live, opt)
	if err != nil {
		t.Fatal(err)
	}
	if args := p.Changes[0].Ops[0].Args; fmt.Sprint(args[5]) != fmt.Sprint(Arg{"schedule_start_time", mustUTC("2026-11-01T14:00:00Z")}) {
		t.Fatalf("applied start %v", args[5])
	}
}

func TestFromSpecLocalSchedule(t *testing.T) {
	dir := t.TempDir()
	doc := `apiVersion: ejops/v1
kind: Job
metadata: {name: nightly}
spec:
  enabled: true
  schedule: {every: 1w, at: "07:30", timeZone: Europe/Berlin, start: 2026-03-02, end: 2027-03-01T18:00}
  steps: []
`
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	set, ds := spec.Load(dir)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	got := FromSpec(set).Jobs[0]
	if got.At != "07:30" || got.TimeZone != "Europe/Berlin" || got.IntervalType != "Weeks" ||
		!got.Start.Equal(mustUTC("2026-03-01T23:00:00Z")) || !got.End.Equal(mustUTC("2027-03-01T17:00:00Z")) {
		t.Fatalf("FromSpec job %+v", got)
	}
}
