package tds

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCancelDuringSlowRequest(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	db.SetMaxOpenConns(1)
	ctx := ctxT(t)

	// Timeout: the driver sends ATTENTION, gets DONE(ATTN) and drops the connection.
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := db.ExecContext(tctx, "slow")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Exec(slow) with timeout = %v, want deadline exceeded", err)
	}
	// Cancel: the connection is kept.
	cctx, cancel2 := context.WithCancel(ctx)
	go func() { time.Sleep(100 * time.Millisecond); cancel2() }()
	_, err = db.ExecContext(cctx, "waitfor delay")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Exec(waitfor) canceled = %v, want context canceled", err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("Ping after cancel = %v", err)
	}
	if n := env.h.snapshot().canceled; n != 2 {
		t.Errorf("handler saw %d canceled contexts, want 2", n)
	}
	if n := env.srv.Stats().Total.Attentions; n != 2 {
		t.Errorf("attentions = %d, want 2", n)
	}
	if _, err := db.ExecContext(ctx, "count"); err != nil {
		t.Fatalf("Exec after cancel = %v", err)
	}
}

func TestPacketSizes(t *testing.T) {
	env := startServer(t)
	for _, size := range []int{512, 32767} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			db := env.open(t, fmt.Sprintf("&packet+size=%d", size))
			ctx := ctxT(t)
			big := strings.Repeat("ü", 70000)
			var got string
			if err := db.QueryRowContext(ctx, "echo", sql.Named("s", big)).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != big {
				t.Errorf("echoed %d chars, want %d", len(got), len(big))
			}
			text := "select big " + strings.Repeat(" ", 50000) + "x"
			var s string
			var b []byte
			if err := db.QueryRowContext(ctx, text).Scan(&s, &b); err != nil {
				t.Fatal(err)
			}
			if len(s) != len(text) {
				t.Errorf("big value of %d chars, want %d", len(s), len(text))
			}
			if want := fmt.Sprintf("packet_size=%d", size); !strings.Contains(env.logs.String(), want) {
				t.Errorf("logs lack %s", want)
			}
			if len(b) != len(s) {
				t.Errorf("big binary of %d bytes, want %d", len(b), len(s))
			}
		})
	}
}

func TestConcurrentConnections(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	const n = 50
	db.SetMaxOpenConns(n)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := db.Conn(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			<-start
			for j := range 10 {
				var v int64
				if err := c.QueryRowContext(ctx, "echo", sql.Named("v", int64(i*100+j))).Scan(&v); err != nil {
					errs <- err
					return
				}
				if v != int64(i*100+j) {
					errs <- fmt.Errorf("conn %d got %d", i, v)
					return
				}
			}
		}()
	}
	// Wait until all connections are open, so they really run at the same time.
	deadline := time.Now().Add(10 * time.Second)
	for len(env.srv.Stats().Conns) < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := len(env.srv.Stats().Conns); got != n {
		t.Errorf("live connections = %d, want %d", got, n)
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := env.srv.Stats().Total.RPCs["echo"]; got != n*10 {
		t.Errorf("echo calls = %d, want %d", got, n*10)
	}
}

func TestResetConnectionReuse(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	db.SetMaxOpenConns(1)
	ctx := ctxT(t)
	for range 3 {
		if _, err := db.ExecContext(ctx, "count"); err != nil {
			t.Fatal(err)
		}
	}
	h := env.h.snapshot()
	if h.logins != 1 || h.resets != 3 {
		t.Errorf("logins %d resets %d, want 1 and 3", h.logins, h.resets)
	}
	// A reused connection inside a transaction does not reset.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := tx.ExecContext(ctx, "count"); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := env.h.snapshot().resets; got != 4 {
		t.Errorf("resets = %d, want 4", got)
	}
}

func TestDropAfter(t *testing.T) {
	env := startServer(t)
	db, ctx := env.openOne(t)
	env.srv.DropAfter(1)
	if _, err := db.ExecContext(ctx, "count"); err != nil {
		t.Fatalf("request before the drop = %v", err)
	}
	// The next request is dropped without running; the driver may retry on a new connection.
	_, _ = db.ExecContext(ctx, "count")
	if _, err := db.ExecContext(ctx, "count"); err != nil {
		t.Fatalf("request after the drop = %v", err)
	}
	h := env.h.snapshot()
	if h.logins != 2 {
		t.Errorf("logins = %d, want 2 (one connection dropped)", h.logins)
	}
	if h.closes != 1 {
		t.Errorf("session closes = %d, want 1", h.closes)
	}
	// The dropped request never ran: count ran for the first request, maybe a retry, and the last.
	if got, total := env.h.callCount("count"), env.srv.Stats().Total.RPCs["count"]; int64(got) != total {
		t.Errorf("handler ran count %d times, server counted %d", got, total)
	}
	env.srv.DropAfter(-1)
	for range 3 {
		if _, err := db.ExecContext(ctx, "count"); err != nil {
			t.Fatal(err)
		}
	}
	if n := env.h.snapshot().logins; n != 2 {
		t.Errorf("logins after disarming = %d, want 2", n)
	}
}

func TestSetDelay(t *testing.T) {
	env := startServer(t)
	db, ctx := env.openOne(t)
	env.srv.SetDelay(150 * time.Millisecond)
	start := time.Now()
	if _, err := db.ExecContext(ctx, "count"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("delayed request took %v, want at least 150ms", d)
	}
	// A delayed reply is cut short by a cancel.
	env.srv.SetDelay(time.Hour)
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := db.ExecContext(cctx, "count"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Exec with delay and timeout = %v", err)
	}
	env.srv.SetDelay(0)
	if _, err := db.ExecContext(ctx, "count"); err != nil {
		t.Fatal(err)
	}
}

func TestStats(t *testing.T) {
	env := startServer(t)
	db, ctx := env.openOne(t)
	for range 2 {
		if _, err := db.ExecContext(ctx, "count"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "update t where x = @p1", 1); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	st := env.srv.Stats()
	want := Stats{Requests: 6, Batches: 1, Transactions: 2, RPCs: map[string]int64{"count": 2, "sp_executesql": 1}}
	if fmt.Sprint(st.Total) != fmt.Sprint(want) {
		t.Errorf("total = %+v, want %+v", st.Total, want)
	}
	if len(st.Conns) != 1 || fmt.Sprint(st.Conns[0].Stats) != fmt.Sprint(want) {
		t.Errorf("conns = %+v", st.Conns)
	}
	env.srv.ResetStats()
	if _, err := db.ExecContext(ctx, "count"); err != nil {
		t.Fatal(err)
	}
	st = env.srv.Stats()
	if st.Total.Requests != 1 || st.Total.RPCs["count"] != 1 || st.Conns[0].Requests != 1 {
		t.Errorf("after reset: %+v", st)
	}
	// Counts of closed connections stay in the total.
	db.Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(env.srv.Stats().Conns) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := env.srv.Stats(); len(st.Conns) != 0 || st.Total.Requests != 1 {
		t.Errorf("after close: %+v", st)
	}
}

func TestLogsHaveNoSecrets(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	const secret = "param-Sentinel-value"
	if _, err := db.ExecContext(ctxT(t), "echo", sql.Named("credential_secret", secret)); err != nil {
		t.Fatal(err)
	}
	bad, err := sql.Open("sqlserver", env.dsn("wrong-Sentinel-pw", ""))
	if err != nil {
		t.Fatal(err)
	}
	_ = bad.PingContext(ctxT(t))
	bad.Close()
	logs := env.logs.String()
	for _, s := range []string{secret, testPassword, "wrong-Sentinel-pw"} {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain secret %q", s)
		}
	}
	if !strings.Contains(logs, "proc=echo") || !strings.Contains(logs, "login failed") {
		t.Errorf("logs lack the procedure name or the failed login:\n%s", logs)
	}
}

func TestCloseClosesLiveConnections(t *testing.T) {
	env := startServer(t)
	db, ctx := env.openOne(t)
	done := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(ctx, "slow")
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := env.srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("slow request succeeded after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("request still running 5s after Close")
	}
	if h := env.h.snapshot(); h.closes != 1 {
		t.Errorf("session closes = %d, want 1", h.closes)
	}
}
