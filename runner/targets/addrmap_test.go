package targets

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseMap(t *testing.T) {
	m, err := ParseMap(" tenants-1.database.windows.net=127.0.0.1:50001, Tenants-2=127.0.0.1:50002,")
	if err != nil {
		t.Fatal(err)
	}
	for server, want := range map[string]string{
		"tenants-1":                      "127.0.0.1:50001",
		"TENANTS-1.database.windows.net": "127.0.0.1:50001",
		"tenants-2.database.windows.net": "127.0.0.1:50002",
	} {
		host, port, mapped := m.address(server)
		if got := host + ":" + strconv.Itoa(port); !mapped || got != want {
			t.Errorf("address(%q) = %s, %v; want %s", server, got, mapped, want)
		}
	}
	host, port, mapped := m.address("reports.database.windows.net")
	if mapped || host != "reports.database.windows.net" || port != 1433 {
		t.Errorf("unmapped server: %s:%d mapped=%v", host, port, mapped)
	}
}

func TestParseMapErrorsNameThePair(t *testing.T) {
	for _, bad := range []string{"tenants-1", "=127.0.0.1:1", "a=127.0.0.1", "a=127.0.0.1:0", "a=127.0.0.1:x", "a=:5", "a=localhost:1,A.database.windows.net=localhost:2", "a=10.1.2.3:1433", "a=db.example.com:1433"} {
		_, err := ParseMap(bad)
		var me *MapError
		if !errors.As(err, &me) {
			t.Errorf("ParseMap(%q) = %v, want a *MapError", bad, err)
			continue
		}
		if !strings.Contains(err.Error(), MapEnv) || !strings.Contains(bad, me.Pair) || me.Pair == "" {
			t.Errorf("ParseMap(%q): %v does not name the pair", bad, err)
		}
	}
	if _, err := ParseMap("prod=10.1.2.3:1433"); err == nil || !strings.Contains(err.Error(), "without TLS") {
		t.Errorf("a map to another machine: %v, want it refused for going without TLS", err)
	}
	if m, err := ParseMap("a=localhost:1,b=[::1]:2,c=127.0.0.2:3"); err != nil || len(m) != 3 {
		t.Errorf("loopback addresses: %v, %v", m, err)
	}
	if m, err := ParseMap(""); err != nil || len(m) != 0 {
		t.Errorf("empty map: %v, %v", m, err)
	}
}
