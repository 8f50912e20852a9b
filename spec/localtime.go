package spec

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Clock is a time of day, to the minute.
type Clock struct{ Hour, Minute int }

// ParseClock reads a 24-hour time of day "HH:MM", from 00:00 to 23:59.
func ParseClock(s string) (Clock, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return Clock{}, fmt.Errorf("%q is not a time of day HH:MM such as 08:00 or 23:30", s)
	}
	return Clock{t.Hour(), t.Minute()}, nil
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

var zones sync.Map // name → *time.Location

// LoadZone returns the time zone of an IANA name such as America/Chicago. "Local" is refused: a
// spec means the same on every machine.
func LoadZone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if name == "" || strings.EqualFold(name, "Local") {
		return nil, fmt.Errorf("%q is not a time zone; name one of the IANA time zone database, such as America/Chicago or Europe/Berlin", name)
	}
	loc, err := zoneFromEmbedded(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q; name one of the IANA time zone database, such as America/Chicago or Europe/Berlin (names are case-sensitive)", name)
	}
	zones.Store(name, loc)
	return loc, nil
}

// Wall returns the instant at which the clocks of loc read the given date and time of day.
//
// A time the clocks skip (02:30 on the day America/Chicago moves from 02:00 CST to 03:00 CDT) is
// read with the offset in effect before the change, so it comes as much later as the clocks
// jumped: 03:30 CDT. A time the clocks show twice (01:30 on the day they go back from 02:00 CDT to
// 01:00 CST) is its first occurrence, 01:30 CDT. java.time and Python's zoneinfo (fold=0) make the
// same choices.
func Wall(loc *time.Location, y int, m time.Month, d, hour, minute, second int) time.Time {
	naive := time.Date(y, m, d, hour, minute, second, 0, time.UTC)
	// Offsets a day either side of the wall time: the ones in effect before and after any change
	// that comes near it.
	_, before := naive.Add(-24 * time.Hour).In(loc).Zone()
	_, after := naive.Add(24 * time.Hour).In(loc).Zone()
	first := time.Time{}
	for _, off := range []int{before, after} {
		t := naive.Add(-time.Duration(off) * time.Second)
		if _, o := t.In(loc).Zone(); o == off && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if first.IsZero() { // skipped: read with the offset before the change
		return naive.Add(-time.Duration(before) * time.Second)
	}
	return first
}

// Local reports whether the schedule is in local time: at a time of day in a time zone.
func (s *Schedule) Local() bool { return s.TimeZone != "" }

// anchor is the local date the days, weeks or months of a local-time schedule count from: the
// date of its start, or 0001-01-01 (a Monday, as the job database's default start) without one.
func (s *Schedule) anchor() time.Time {
	if s.Start.IsZero() {
		return time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	y, m, d := s.Start.In(s.Location).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// day returns the nth date of the schedule's calendar: anchor plus n intervals.
func (s *Schedule) day(anchor time.Time, n int) time.Time {
	switch s.IntervalType {
	case "Weeks":
		return anchor.AddDate(0, 0, 7*n*s.IntervalCount)
	case "Months":
		return anchor.AddDate(0, n*s.IntervalCount, 0)
	}
	return anchor.AddDate(0, 0, n*s.IntervalCount)
}

// index returns the number of intervals from anchor to date, rounded down.
func (s *Schedule) index(anchor, date time.Time) int {
	var units, per int
	switch s.IntervalType {
	case "Months":
		units = (date.Year()-anchor.Year())*12 + int(date.Month()-anchor.Month())
		per = s.IntervalCount
	case "Weeks":
		units, per = days(anchor, date), 7*s.IntervalCount
	default:
		units, per = days(anchor, date), s.IntervalCount
	}
	return units / max(per, 1)
}

// days returns the number of days between two dates (midnights in UTC), which may be centuries
// apart: more than a time.Duration holds.
func days(from, to time.Time) int { return int((to.Unix() - from.Unix()) / 86400) }

// NextRun returns the first run of a local-time schedule at or after t: the time of day At, in
// Location, on the days of the interval counted from the start's date, from Start to End (see
// Wall for the times the clocks skip or show twice). It returns false when no run is left.
func (s *Schedule) NextRun(t time.Time) (time.Time, bool) {
	if s.Location == nil || s.IntervalCount < 1 {
		return time.Time{}, false
	}
	if t.Before(s.Start) {
		t = s.Start
	}
	anchor := s.anchor()
	y, m, d := t.In(s.Location).Date()
	// Two days back: the run of an earlier date can fall after t when its time is skipped.
	from := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -2)
	n := 0
	if from.After(anchor) {
		n = s.index(anchor, from)
	}
	for ; ; n++ {
		day := s.day(anchor, n)
		run := Wall(s.Location, day.Year(), day.Month(), day.Day(), s.At.Hour, s.At.Minute, 0)
		switch {
		case day.Year() > 9999 || !s.End.IsZero() && run.After(s.End):
			return time.Time{}, false
		case !run.Before(t):
			return run, true
		}
	}
}

// NextOffsetChange returns the first instant after t at which the UTC offset of loc changes, or
// the zero time when it never changes again.
func NextOffsetChange(loc *time.Location, t time.Time) time.Time {
	_, off := t.In(loc).Zone()
	for range maxPeriods {
		_, end := t.In(loc).ZoneBounds()
		switch {
		case end.IsZero():
			return time.Time{}
		case !end.After(t):
			// Beyond the zone database's table of changes, ZoneBounds may end a period where it
			// starts, at the turn of a year: look a second later.
			end = t.Add(time.Second)
		}
		if _, o := end.In(loc).Zone(); o != off {
			return end
		}
		t = end
	}
	return time.Time{}
}

// PrevOffsetChange returns the latest instant at or before t at which the UTC offset of loc
// changed, or the zero time when it never did.
func PrevOffsetChange(loc *time.Location, t time.Time) time.Time {
	_, off := t.In(loc).Zone()
	for range maxPeriods {
		start, _ := t.In(loc).ZoneBounds()
		if start.IsZero() {
			return time.Time{}
		}
		if _, o := start.Add(-time.Second).In(loc).Zone(); o != off {
			return start
		}
		t = start.Add(-time.Second)
	}
	return time.Time{}
}

// maxPeriods bounds the walk over zone periods whose offset does not change (a new abbreviation,
// or the turn of a year): no zone has this many in a row.
const maxPeriods = 1000

// zoneinfo is the IANA time zone database as Go 1.26.8 ships it ($GOROOT/lib/time/zoneinfo.zip,
// tzdata 2025c), embedded so that every machine compiles a schedule to the same UTC times whatever
// its own zone files say. To update it, copy that file from a newer Go release.
//
//go:embed zoneinfo.zip
var zoneinfo []byte

var zoneIndex = sync.OnceValues(func() (map[string]*zip.File, error) {
	r, err := zip.NewReader(bytes.NewReader(zoneinfo), int64(len(zoneinfo)))
	if err != nil {
		return nil, err
	}
	index := make(map[string]*zip.File, len(r.File))
	for _, f := range r.File {
		index[f.Name] = f
	}
	return index, nil
})

// zoneFromEmbedded loads a zone from the embedded database only, never from the machine's.
func zoneFromEmbedded(name string) (*time.Location, error) {
	index, err := zoneIndex()
	if err != nil {
		return nil, err
	}
	f, ok := index[name]
	if !ok {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	if err != nil {
		return nil, err
	}
	return time.LoadLocationFromTZData(name, data)
}
