package spec

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := map[string]struct {
		in   string
		want time.Duration
		err  bool
	}{
		"seconds":   {in: "90s", want: 90 * time.Second},
		"compound":  {in: "1h30m", want: 90 * time.Minute},
		"days":      {in: "2d", want: 48 * time.Hour},
		"weeks":     {in: "1w", want: 7 * 24 * time.Hour},
		"fraction":  {in: "1.5h", want: 90 * time.Minute},
		"millis":    {in: "1500ms", want: 1500 * time.Millisecond},
		"micro":     {in: "3µs", want: 3 * time.Microsecond},
		"empty":     {in: "", err: true},
		"no unit":   {in: "5", err: true},
		"bad unit":  {in: "5y", err: true},
		"negative":  {in: "-5s", err: true},
		"no number": {in: "h", err: true},
		"overflow":  {in: "999999999999w", err: true},
		"two dots":  {in: "1.2.3s", err: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseInterval(t *testing.T) {
	tests := []struct {
		in    string
		typ   string
		count int
		err   bool
	}{
		{"once", "Once", 1, false},
		{"15m", "Minutes", 15, false},
		{"1h", "Hours", 1, false},
		{"1d", "Days", 1, false},
		{"2w", "Weeks", 2, false},
		{"3mo", "Months", 3, false},
		{"0d", "", 0, true},
		{"d", "", 0, true},
		{"1y", "", 0, true},
		{"2147483648m", "", 0, true},
		{"Once", "", 0, true},
	}
	for _, tc := range tests {
		typ, n, err := ParseInterval(tc.in)
		if typ != tc.typ || n != tc.count || (err != nil) != tc.err {
			t.Errorf("ParseInterval(%q) = %q, %d, %v; want %q, %d, error %v", tc.in, typ, n, err, tc.typ, tc.count, tc.err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for in, want := range map[time.Duration]string{0: "0s", 90 * time.Second: "1m30s", 8 * 24 * time.Hour: "1w1d", 1500 * time.Millisecond: "1.5s"} {
		if got := FormatDuration(in); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseDuration checks that durations never panic, are never negative, and that whole-second
// durations survive a FormatDuration round trip.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "1h30m", "2d", "1w", "1.5h", "", "5", "-1s", "9999999999999999w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		if d%time.Second == 0 {
			back, err := ParseDuration(FormatDuration(d))
			if err != nil || back != d {
				t.Fatalf("round trip of %v via %q = %v, %v", d, FormatDuration(d), back, err)
			}
		}
	})
}

// FuzzParseInterval checks that intervals never panic and always yield a count from 1.
func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"once", "15m", "3mo", "0d", "", "99999999999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, n, err := ParseInterval(s)
		if err == nil && (typ == "" || n < 1) {
			t.Fatalf("ParseInterval(%q) = %q, %d", s, typ, n)
		}
	})
}
