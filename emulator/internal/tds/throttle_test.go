package tds

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestLoginThrottleTurns(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	th := newLoginThrottle()
	th.now = func() time.Time { return now }
	th.free, th.base, th.max = 3, time.Second, 4*time.Second
	turn := func(client string) string {
		w, ok := th.turn(client, 10*time.Second)
		if !ok {
			return "refused"
		}
		return w.String()
	}
	for range 2 {
		th.failed("a")
	}
	if got := turn("a"); got != "0s" {
		t.Fatalf("before %d failures: %s", th.free, got)
	}
	th.failed("a") // the third: from now on, one turn per second
	var got []string
	for range 3 {
		got = append(got, turn("a"))
	}
	if s := strings.Join(got, " "); s != "1s 2s 3s" {
		t.Fatalf("parallel logins after 3 failures wait %s", s)
	}
	if got := turn("b"); got != "0s" {
		t.Fatalf("another client waits %s", got)
	}
	now = now.Add(10 * time.Second)
	th.failed("a")
	th.failed("a")
	if got := turn("a"); got != "4s" {
		t.Fatalf("after 5 failures the delay doubled twice: %s", got)
	}
	for range 10 {
		th.failed("a")
	}
	if got := th.delay(th.clients["a"].failures); got != th.max {
		t.Fatalf("the delay grows past its maximum: %v", got)
	}
	now = now.Add(time.Minute)
	for range 3 {
		turn("a")
	}
	if got := turn("a"); got != "refused" {
		t.Fatalf("a turn after the login timeout: %s", got)
	}
	th.succeeded("a")
	if got := turn("a"); got != "0s" {
		t.Fatalf("after a successful login: %s", got)
	}
	for i := range 3 * maxThrottledClients {
		th.failed(fmt.Sprint("client", i))
	}
	if n := len(th.clients); n > maxThrottledClients {
		t.Fatalf("%d clients remembered", n)
	}
}

// After failed logins, a client's next login waits before its password is checked, even the
// right one; a successful login clears the record.
func TestFailedLoginsDelayTheNext(t *testing.T) {
	env := startServer(t)
	env.srv.throttle.free, env.srv.throttle.base = 2, 300*time.Millisecond
	for range 2 {
		if got := fmt.Sprint(dialRaw(t, env.addr).login("wrong")); got != "[ERR(18456) FD(0x2,0)]" {
			t.Fatalf("failed login reply = %s", got)
		}
	}
	start := time.Now()
	toks := dialRaw(t, env.addr).login(testPassword)
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("the login after 2 failures was answered after %v", waited)
	}
	if got := fmt.Sprint(toks); !strings.Contains(got, "AD") {
		t.Fatalf("login reply = %s", got)
	}
	if n := strings.Count(env.logs.String(), "login delayed"); n != 1 {
		t.Errorf("%d delayed logins logged, want 1", n)
	}
	dialRaw(t, env.addr).login(testPassword)
	if n := strings.Count(env.logs.String(), "login delayed"); n != 1 {
		t.Errorf("a login after a successful one was delayed")
	}
}

func TestClientKey(t *testing.T) {
	for addr, want := range map[net.Addr]string{
		&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 50000}: "10.1.2.3",
		&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}:        "::1",
	} {
		if got := clientKey(addr); got != want {
			t.Errorf("clientKey(%v) = %q, want %q", addr, got, want)
		}
	}
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	if got := clientKey(server.RemoteAddr()); got != "pipe" {
		t.Errorf("clientKey(pipe) = %q", got)
	}
}
