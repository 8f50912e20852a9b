//go:build linux

package tds

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const lowLimitChildEnv = "EJOPS_TDS_LOW_FD_LIMIT_CHILD"

// TestLowFileLimitChild is the server process of TestAcceptRecoversUnderLowFileLimit: it serves
// with only a few file descriptors to spare and prints its address.
func TestLowFileLimitChild(t *testing.T) {
	if os.Getenv(lowLimitChildEnv) != "1" {
		t.Skip("the child process of TestAcceptRecoversUnderLowFileLimit")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(&fakeHandler{}, Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	go func() { fmt.Fprintln(os.Stderr, "Serve returned:", srv.Serve(ln)) }()
	open, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = uint64(len(open) + 3)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	fmt.Println("listening on", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent is done
	srv.Close()
}

// A server out of file descriptors (ulimit -n reached) keeps its accept loop: once connections
// close, it accepts again.
func TestAcceptRecoversUnderLowFileLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLowFileLimitChild$")
	cmd.Env = append(os.Environ(), lowLimitChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	addr := ""
	sc := bufio.NewScanner(stdout)
	for addr == "" && sc.Scan() {
		addr, _ = strings.CutPrefix(sc.Text(), "listening on ")
	}
	if addr == "" {
		t.Fatalf("the child printed no address; stderr:\n%s", stderr)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	// Idle connections take the child's last descriptors; the next accept fails with EMFILE.
	var idle []net.Conn
	for range 12 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "too many open files") {
		if time.Now().After(deadline) {
			t.Fatalf("the child never ran out of descriptors; stderr:\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range idle {
		c.Close()
	}
	r := dialRaw(t, addr) // fails after 10 s without an answer
	var acked bool
	for _, tok := range r.login(testPassword) {
		acked = acked || tok.id == tokLoginAck
	}
	if !acked {
		t.Fatalf("no login once descriptors were free again; stderr:\n%s", stderr)
	}
}
