package spec

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// localSchedule checks a schedule in local time: an interval of a day or more, monthly days the
// job database's UTC months keep, and a run between start and end.
func (c *checker) localSchedule(j *Job) {
	s := j.Schedule
	if !s.Local() || s.IntervalType == "" {
		return
	}
	switch s.IntervalType {
	case "Days", "Weeks", "Months":
	default:
		c.ds.Add(j.FieldPos("spec.schedule.at"), Error, CodeAt, "spec.schedule.at: a time of day needs an interval of a day or more, such as 1d, 1w or 1mo; every is %s",
			FormatInterval(s.IntervalType, s.IntervalCount))
		return
	}
	if s.Location == nil || s.IntervalType == "Months" && !c.monthDay(j) || !s.End.IsZero() && s.Start.After(s.End) {
		return
	}
	if _, ok := s.NextRun(s.Start); !ok {
		c.ds.Add(schedulePos(j, "end"), Error, CodeWindow, "spec.schedule: no run at %s %s between start and end", s.At, s.TimeZone)
	}
}

// schedulePos is the position of a field of the job's schedule, or of the schedule when the field
// is not written.
func schedulePos(j *Job, field string) Pos {
	if _, _, ok := j.fields.find("spec.schedule." + field); ok {
		return j.FieldPos("spec.schedule." + field)
	}
	return j.FieldPos("spec.schedule")
}

// monthDay checks that the runs of a monthly local-time schedule keep their day of the month in the
// job database, which adds months to the start time in UTC: the day must be from the 1st to the
// 28th both in local time and in UTC, at every UTC offset the zone uses from the start on.
func (c *checker) monthDay(j *Job) bool {
	s := j.Schedule
	day := s.anchor().Day()
	pos := schedulePos(j, "start")
	if day > 28 {
		c.ds.Add(pos, Error, CodeMonthDay, "spec.schedule.start: a monthly schedule on day %d does not run in every month; start on a day from the 1st to the 28th", day)
		return false
	}
	for _, off := range offsetsFrom(s.Location, s.TimeZone, s.Start) {
		minutes := s.At.Hour*60 + s.At.Minute - off/60
		utc := day
		switch {
		case minutes < 0:
			utc--
		case minutes >= 24*60:
			utc++
		}
		if utc >= 1 && utc <= 28 {
			continue
		}
		other := "the last day of the month before"
		if utc > 28 {
			other = fmt.Sprintf("day %d", utc)
		}
		c.ds.Add(pos, Error, CodeMonthDay, "spec.schedule: day %d at %s %s is %s in UTC (UTC%s), and the job database adds months in UTC, keeping a day only from the 1st to the 28th; start on another day of the month (without start, the 1st), or pick a time of day that stays on the same day in UTC",
			day, s.At, s.TimeZone, other, formatOffset(off))
		return false
	}
	return true
}

// formatOffset writes a UTC offset in seconds as "+05:30".
func formatOffset(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off/60%60)
}

var offsetCache sync.Map // offsetKey → []int

type offsetKey struct {
	zone string
	year int
}

// offsetsFrom returns the UTC offsets a zone uses in the century from the year of start (from 1970
// at the earliest: the zone database's history before it is not what a schedule needs).
func offsetsFrom(loc *time.Location, zone string, start time.Time) []int {
	year := max(start.Year(), 1970)
	key := offsetKey{zone, year}
	if offs, ok := offsetCache.Load(key); ok {
		return offs.([]int)
	}
	offs := zoneOffsets(loc, time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC))
	offsetCache.Store(key, offs)
	return offs
}

// zoneOffsets returns the UTC offsets, in seconds, that loc uses in the century from t.
func zoneOffsets(loc *time.Location, t time.Time) []int {
	_, off := t.In(loc).Zone()
	out := []int{off}
	for end := t.AddDate(100, 0, 0); ; {
		if t = NextOffsetChange(loc, t); t.IsZero() || !t.Before(end) {
			return out
		}
		if _, off := t.In(loc).Zone(); !slices.Contains(out, off) {
			out = append(out, off)
		}
	}
}
