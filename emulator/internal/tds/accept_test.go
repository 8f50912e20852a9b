package tds

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// failingListener fails its first n Accepts as a process out of file descriptors does.
type failingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.n.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// A failed Accept (EMFILE) is retried after a pause instead of ending the accept loop.
func TestAcceptErrorsAreRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: ln}
	fl.n.Store(5)
	logs := &syncBuffer{}
	srv := NewServer(&fakeHandler{}, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(fl) }()
	env := &testEnv{srv: srv, addr: ln.Addr().String()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db := env.open(t, "")
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("no login after failed accepts: %v", err)
	}
	if n := strings.Count(logs.String(), "accept failed"); n != 5 {
		t.Errorf("%d accept failures logged, want 5:\n%s", n, logs)
	}
	db.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve = %v", err)
	}
}

// Close ends the accept loop's pause at once.
func TestCloseInterruptsAcceptBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: ln}
	fl.n.Store(1 << 30)
	srv := NewServer(&fakeHandler{}, Options{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(fl) }()
	time.Sleep(3 * maxAcceptBackoff / 2)
	srv.Close()
	select {
	case err := <-served:
		if !errors.Is(err, ErrServerClosed) {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(maxAcceptBackoff / 2):
		t.Fatal("Serve still waiting after Close")
	}
}

// A listener closed behind the server's back ends Serve with its error.
func TestServeReturnsWhenListenerCloses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(&fakeHandler{}, Options{})
	defer srv.Close()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ln.Close()
	select {
	case err := <-served:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}
