package spec

import "testing"

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"retry", "retry", 0},
		{"retyr", "retry", 1}, {"tiemout", "timeout", 1}, {"databse", "database", 1},
		{"kitten", "sitting", 3}, {"ca", "abc", 3}, {"ejop", "ejops", 1}, {"jobs", "ejops", 2},
	} {
		if got := editDistance([]rune(c.a), []rune(c.b)); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	fields := []string{"command", "commandFile", "credential", "name", "retry", "targetGroup", "timeout"}
	for _, c := range []struct {
		word       string
		candidates []string
		want       string
	}{
		{"retyr", fields, "retry"},
		{"TargetGroup", fields, "targetGroup"}, // case alone
		{"comand", fields, "command"},
		{"nmae", fields, "name"},
		{"credentails", fields, "credential"},
		{"schedule", fields, ""},            // nothing close
		{"x", []string{"y", "xy"}, ""},      // one letter says too little
		{"ab", []string{"ac", "ab2"}, "ac"}, // ties go to the earlier candidate
		{"tenant", []string{"tenants", "tenantz"}, "tenants"},
		{"production-eu", []string{"production-us"}, "production-us"},
		{"prod", []string{"test"}, ""},
		{"jobcred", nil, ""},
	} {
		got, ok := closest(c.word, c.candidates)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("closest(%q) = %q, %v; want %q", c.word, got, ok, c.want)
		}
	}
	if got := didYouMean("retyr", fields); got != "; did you mean retry?" {
		t.Errorf("didYouMean = %q", got)
	}
	if got := didYouMean("zzz", fields); got != "" {
		t.Errorf("didYouMean without a close candidate = %q", got)
	}
}
