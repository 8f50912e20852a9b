//go:build unix

package runner

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ejops/ejops/spec"
)

// TestSecretFileNamedPipe checks that a secretFrom.file naming a named pipe is refused within a
// second: opening it to read would wait for a writer forever, holding plan or apply, and the state
// lock, with it.
func TestSecretFileNamedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "secret")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	resolve := ResolveSecret(func(string) string { return "" }, ReadSecretFile)
	done := make(chan error, 1)
	go func() {
		_, err := resolve(spec.SecretRef{File: fifo})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("named pipe: %v, want an error that it is not a regular file", err)
		}
	case <-time.After(time.Second):
		// Release the reader blocked in open by opening the write end, then fail.
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("reading a secret from a named pipe blocked")
	}
}
