package targets

import (
	"errors"
	"net"
	"sort"
	"strings"
	"testing"
)

// FuzzParseMap checks that ParseMap either fails with a *MapError naming a pair of its input, or
// returns a map whose keys are server keys and whose addresses are host:port with a valid port, and
// that the map written back in its own format parses to the same map.
func FuzzParseMap(f *testing.F) {
	for _, seed := range []string{
		"",
		"tenants-1.database.windows.net=127.0.0.1:50001,tenants-2=127.0.0.1:50002",
		"Tenants-1=[::1]:1433,",
		"a=b",
		"=127.0.0.1:1",
		"a=127.0.0.1:0",
		"a=localhost:1,A.database.windows.net=localhost:2",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMap(s)
		if err != nil {
			var me *MapError
			if !errors.As(err, &me) || !strings.Contains(s, me.Pair) {
				t.Fatalf("ParseMap(%q): error %v does not name a pair of the input", s, err)
			}
			return
		}
		pairs := make([]string, 0, len(m))
		for k, addr := range m {
			if k != ServerKey(k) {
				t.Fatalf("ParseMap(%q): key %q is not a server key", s, k)
			}
			if _, _, err := net.SplitHostPort(addr); err != nil {
				t.Fatalf("ParseMap(%q): address %q: %v", s, addr, err)
			}
			pairs = append(pairs, k+"="+addr)
		}
		sort.Strings(pairs)
		again, err := ParseMap(strings.Join(pairs, ","))
		if err != nil || len(again) != len(m) {
			t.Fatalf("ParseMap(%q) = %v, written back %v: %v, %v", s, m, pairs, again, err)
		}
		for k, addr := range m {
			if again[k] != addr {
				t.Fatalf("ParseMap(%q): %s maps to %q, written back to %q", s, k, addr, again[k])
			}
		}
	})
}
