package spec

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := LoadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseClock(t *testing.T) {
	for in, want := range map[string]Clock{"00:00": {0, 0}, "08:05": {8, 5}, "23:59": {23, 59}} {
		if got, err := ParseClock(in); err != nil || got != want || got.String() != in {
			t.Errorf("ParseClock(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"8:00", "24:00", "12:60", "08:00:00", "", "0800", " 08:00"} {
		if _, err := ParseClock(in); err == nil {
			t.Errorf("ParseClock(%q) accepted", in)
		}
	}
}

func TestLoadZone(t *testing.T) {
	for _, name := range []string{"America/Chicago", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"} {
		if loc, err := LoadZone(name); err != nil || loc.String() != name {
			t.Errorf("LoadZone(%q) = %v, %v", name, loc, err)
		}
	}
	for _, name := range []string{"", "Local", "local", "CST", "america/chicago", "America/Chicgo", "../etc/passwd"} {
		if _, err := LoadZone(name); err == nil || !strings.Contains(err.Error(), "IANA") {
			t.Errorf("LoadZone(%q) error = %v, want one naming the IANA database", name, err)
		}
	}
}

// TestWall covers times the clocks skip (read with the offset before the change) and show twice
// (the first occurrence), for one-hour and thirty-minute changes in both hemispheres.
func TestWall(t *testing.T) {
	tests := []struct {
		zone             string
		date             string
		hour, min        int
		want             string
		wantWall, reason string
	}{
		{"America/Chicago", "2027-01-10", 8, 0, "2027-01-10T14:00:00Z", "08:00 CST", "standard time"},
		{"America/Chicago", "2027-07-10", 8, 0, "2027-07-10T13:00:00Z", "08:00 CDT", "daylight time"},
		{"America/Chicago", "2027-03-14", 2, 30, "2027-03-14T08:30:00Z", "03:30 CDT", "skipped: read in CST"},
		{"America/Chicago", "2027-03-14", 1, 59, "2027-03-14T07:59:00Z", "01:59 CST", "just before the skip"},
		{"America/Chicago", "2027-03-14", 3, 0, "2027-03-14T08:00:00Z", "03:00 CDT", "just after the skip"},
		{"America/Chicago", "2026-11-01", 1, 30, "2026-11-01T06:30:00Z", "01:30 CDT", "twice: the first"},
		{"America/Chicago", "2026-11-01", 2, 0, "2026-11-01T08:00:00Z", "02:00 CST", "after the repeated hour"},
		{"Europe/Berlin", "2026-03-29", 2, 30, "2026-03-29T01:30:00Z", "03:30 CEST", "skipped: read in CET"},
		{"Europe/Berlin", "2026-10-25", 2, 30, "2026-10-25T00:30:00Z", "02:30 CEST", "twice: the first"},
		{"Australia/Lord_Howe", "2026-10-04", 2, 15, "2026-10-03T15:45:00Z", "02:45 +11", "skipped half hour: read in +10:30"},
		{"Australia/Lord_Howe", "2026-04-05", 1, 45, "2026-04-04T14:45:00Z", "01:45 +11", "repeated half hour: the first"},
		{"Australia/Lord_Howe", "2026-04-05", 2, 0, "2026-04-04T15:30:00Z", "02:00 +1030", "after the repeated half hour"},
		{"Australia/Sydney", "2026-10-04", 2, 30, "2026-10-03T16:30:00Z", "03:30 AEDT", "southern spring: skipped"},
		{"Asia/Kolkata", "2026-03-29", 2, 30, "2026-03-28T21:00:00Z", "02:30 IST", "no changes"},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.date+" "+tt.reason, func(t *testing.T) {
			loc := zone(t, tt.zone)
			d, _ := time.Parse(time.DateOnly, tt.date)
			got := Wall(loc, d.Year(), d.Month(), d.Day(), tt.hour, tt.min, 0)
			if !got.Equal(utc(tt.want)) {
				t.Errorf("Wall = %s, want %s", got.UTC().Format(time.RFC3339), tt.want)
			}
			if w := got.In(loc).Format("15:04 MST"); w != tt.wantWall {
				t.Errorf("Wall reads %s on the clocks, want %s", w, tt.wantWall)
			}
		})
	}
}

func TestNextRun(t *testing.T) {
	chicago := func(every string, start, end string) *Schedule {
		typ, n, err := ParseInterval(every)
		if err != nil {
			t.Fatal(err)
		}
		s := &Schedule{IntervalType: typ, IntervalCount: n, At: Clock{8, 0}, TimeZone: "America/Chicago", Location: zone(t, "America/Chicago")}
		if start != "" {
			s.Start = utc(start)
		}
		if end != "" {
			s.End = utc(end)
		}
		return s
	}
	tests := []struct {
		name  string
		s     *Schedule
		after string
		want  []string // the next runs, "" when none is left
	}{
		{"daily across the spring change", chicago("1d", "", ""), "2027-03-13T00:00:00Z",
			[]string{"2027-03-13T14:00:00Z", "2027-03-14T13:00:00Z", "2027-03-15T13:00:00Z"}},
		{"a run at t is next", chicago("1d", "", ""), "2027-03-13T14:00:00Z", []string{"2027-03-13T14:00:00Z"}},
		{"every 2 days from the start's date", chicago("2d", "2027-03-01T06:00:00Z", ""), "2027-03-12T00:00:00Z",
			[]string{"2027-03-13T14:00:00Z", "2027-03-15T13:00:00Z", "2027-03-17T13:00:00Z"}},
		{"weekly on the start's weekday (a Wednesday)", chicago("1w", "2026-12-02T06:00:00Z", ""), "2026-12-04T00:00:00Z",
			[]string{"2026-12-09T14:00:00Z", "2026-12-16T14:00:00Z"}},
		{"weekly without start: Mondays", chicago("1w", "", ""), "2026-12-04T00:00:00Z",
			[]string{"2026-12-07T14:00:00Z", "2026-12-14T14:00:00Z"}},
		{"monthly on the start's day", chicago("1mo", "2026-01-15T06:00:00Z", ""), "2027-02-20T00:00:00Z",
			[]string{"2027-03-15T13:00:00Z", "2027-04-15T13:00:00Z"}},
		{"every 3 months", chicago("3mo", "2026-01-15T06:00:00Z", ""), "2026-02-01T00:00:00Z",
			[]string{"2026-04-15T13:00:00Z", "2026-07-15T13:00:00Z"}},
		{"not before start: the start's day is past its time", chicago("1d", "2027-01-10T15:00:00Z", ""), "2027-01-01T00:00:00Z",
			[]string{"2027-01-11T14:00:00Z"}},
		{"not after end", chicago("1d", "", "2027-01-11T14:00:00Z"), "2027-01-11T00:00:00Z",
			[]string{"2027-01-11T14:00:00Z", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := utc(tt.after)
			for i, w := range tt.want {
				got, ok := tt.s.NextRun(at)
				switch {
				case w == "" && ok:
					t.Fatalf("run %d: %s, want none", i, got.Format(time.RFC3339))
				case w == "":
				case !ok || !got.Equal(utc(w)):
					t.Fatalf("run %d: %s %v, want %s", i, got.Format(time.RFC3339), ok, w)
				}
				at = got.Add(time.Nanosecond)
			}
		})
	}
}

func TestSkippedRunComesAfterEarlierDays(t *testing.T) {
	// 02:30 on the spring-forward day is 03:30 CDT: a search from just after 02:00 CST still finds it.
	s := &Schedule{IntervalType: "Days", IntervalCount: 1, At: Clock{2, 30}, TimeZone: "America/Chicago", Location: zone(t, "America/Chicago")}
	got, ok := s.NextRun(utc("2027-03-14T08:00:00Z"))
	if !ok || !got.Equal(utc("2027-03-14T08:30:00Z")) {
		t.Errorf("NextRun = %s, want 2027-03-14T08:30:00Z (03:30 CDT)", got.Format(time.RFC3339))
	}
}

func TestOffsetChanges(t *testing.T) {
	tests := []struct {
		zone, at, prev, next string // "" for none
	}{
		{"America/Chicago", "2026-12-04T17:00:00Z", "2026-11-01T07:00:00Z", "2027-03-14T08:00:00Z"},
		{"America/Chicago", "2027-03-14T08:00:00Z", "2027-03-14T08:00:00Z", "2027-11-07T07:00:00Z"},
		{"Australia/Lord_Howe", "2026-06-01T00:00:00Z", "2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"},
		// Beyond the zone database's table, where ZoneBounds also ends periods at the turn of a year.
		{"Europe/Berlin", "2041-01-15T00:00:00Z", "2040-10-28T01:00:00Z", "2041-03-31T01:00:00Z"},
		{"Asia/Kolkata", "2026-12-04T17:00:00Z", "1945-10-14T17:30:00Z", ""},
		{"UTC", "2026-12-04T17:00:00Z", "", ""},
	}
	for _, tt := range tests {
		loc := zone(t, tt.zone)
		check := func(what string, got time.Time, want string) {
			if (want == "") != got.IsZero() || want != "" && !got.Equal(utc(want)) {
				t.Errorf("%s %s at %s = %s, want %q", what, tt.zone, tt.at, got.UTC().Format(time.RFC3339), want)
			}
		}
		check("PrevOffsetChange", PrevOffsetChange(loc, utc(tt.at)), tt.prev)
		check("NextOffsetChange", NextOffsetChange(loc, utc(tt.at)), tt.next)
	}
}

// TestZonesComeFromTheEmbeddedDatabase: zones load from the database ejops carries, not from the
// machine's, so every applier compiles the same schedule. A zone database named by ZONEINFO, which
// Go's time.LoadLocation reads first, says America/Denver is UTC; LoadZone must not believe it.
func TestZonesComeFromTheEmbeddedDatabase(t *testing.T) {
	index, err := zoneIndex()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := index["UTC"].Open()
	if err != nil {
		t.Fatal(err)
	}
	utc, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "America/Denver", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(utc)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(t.TempDir(), "zoneinfo.zip")
	if err := os.WriteFile(fake, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZONEINFO", fake)
	loc, err := LoadZone("America/Denver")
	if err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(2027, 7, 1, 12, 0, 0, 0, loc).Zone(); off != -6*3600 {
		t.Errorf("America/Denver in July: offset %d, want -6h (the machine's zone database was read)", off)
	}
	if _, err := LoadZone("Mars/Olympus_Mons"); err == nil {
		t.Error("an unknown zone loaded")
	}
}
