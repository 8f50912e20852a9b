package targets

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestClientTimesOutOnSilentServer dials a server that accepts TCP and never answers, as behind
// a firewall that drops: the connection fails at the reachable stage within the timeout.
func TestClientTimesOutOnSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	m, err := ParseMap("silent.database.windows.net=" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{Map: m, Timeout: 300 * time.Millisecond}
	start := time.Now()
	f := c.CheckDatabase(context.Background(), "silent", "db1", Login{User: "u", Password: "pa55-sentinel"})
	if f == nil || f.Stage != StageReachable || !strings.Contains(f.Message, "no answer within 300ms") {
		t.Fatalf("failure = %+v", f)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s", took)
	}
	if s := c.Stats(); s.Connections != 1 || s.Queries != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestClientRefusedServerKeepsSecretOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	m, _ := ParseMap("closed=" + addr)
	c := &Client{Map: m, Timeout: 2 * time.Second}
	_, f := c.ListDatabases(context.Background(), "closed.database.windows.net", "", Login{User: "u", Password: "pa55-sentinel"})
	if f == nil || f.Stage != StageReachable {
		t.Fatalf("failure = %+v", f)
	}
	if strings.Contains(f.Message, "pa55-sentinel") {
		t.Errorf("message shows the password: %s", f.Message)
	}
}

func TestLoginPrintsNoSecret(t *testing.T) {
	l := Login{User: "u", Password: "pa55-sentinel"}
	for _, s := range []string{l.String(), l.GoString()} {
		if strings.Contains(s, "pa55") {
			t.Errorf("%q shows the password", s)
		}
	}
}
