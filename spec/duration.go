package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a Go-style duration that may also use d (24h) and w (7d) units, such as
// "90s", "1h30m" or "2d". Negative durations are not accepted.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total float64
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("duration %q: expected a number", s)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: bad number %q", s, rest[:i])
		}
		rest = rest[i:]
		j := 0
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		var unit time.Duration
		switch rest[:j] {
		case "ns":
			unit = time.Nanosecond
		case "us", "µs":
			unit = time.Microsecond
		case "ms":
			unit = time.Millisecond
		case "s":
			unit = time.Second
		case "m":
			unit = time.Minute
		case "h":
			unit = time.Hour
		case "d":
			unit = 24 * time.Hour
		case "w":
			unit = 7 * 24 * time.Hour
		default:
			return 0, fmt.Errorf("duration %q: unknown unit %q", s, rest[:j])
		}
		rest = rest[j:]
		total += n * float64(unit)
		if total > math.MaxInt64 {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
	}
	return time.Duration(total), nil
}

// intervalTypes maps the unit of a schedule interval to the job database's interval type.
var intervalTypes = map[string]string{"m": "Minutes", "h": "Hours", "d": "Days", "w": "Weeks", "mo": "Months"}

// ParseInterval parses a schedule's every: "once", or a count from 1 followed by m, h, d, w or mo.
// It returns the job database's interval type and count.
func ParseInterval(s string) (typ string, count int, err error) {
	if s == "once" {
		return "Once", 1, nil
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	typ, ok := intervalTypes[s[i:]]
	if i == 0 || !ok {
		return "", 0, fmt.Errorf("interval %q: want once, or a count followed by m, h, d, w or mo", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 32)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("interval %q: the count must be between 1 and %d", s, math.MaxInt32)
	}
	return typ, int(n), nil
}

// FormatInterval writes a job database interval the way ParseInterval reads it: "once", "15m", "1mo".
func FormatInterval(typ string, count int) string {
	for unit, t := range intervalTypes {
		if t == typ {
			return strconv.Itoa(count) + unit
		}
	}
	return "once"
}

// FormatDuration writes d in the shortest form ParseDuration reads back, using d and w units.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d%time.Second != 0 || d < 0 {
		return d.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		n string
		d time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if d >= u.d {
			fmt.Fprintf(&b, "%d%s", d/u.d, u.n)
			d %= u.d
		}
	}
	return b.String()
}
