package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminal runs the ejops binary on a pseudo-terminal and collects what it prints there.
type terminal struct {
	cmd  *exec.Cmd
	pty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func startOnTerminal(t *testing.T, bin string, env []string, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "ejops"), args...)
	cmd.Env = append(os.Environ(), env...)
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{cmd: cmd, pty: f, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		f.Close()
	})
	return term
}

// waitFor waits until the terminal shows text.
func (term *terminal) waitFor(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		term.mu.Lock()
		ok := strings.Contains(term.out.String(), text)
		term.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the terminal never showed %q; it shows:\n%s", text, term.output())
}

func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// exitCode waits for the process to end.
func (term *terminal) exitCode(t *testing.T) int {
	t.Helper()
	err := term.cmd.Wait()
	<-term.done
	return exitCode(t, err)
}

// TestApplyPromptInterrupted: Ctrl-C at apply's question exits 130 and changes nothing.
func TestApplyPromptInterrupted(t *testing.T) {
	j := startJobDB(t)
	bin := ejopsBinary(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a")})
	term := startOnTerminal(t, bin, []string{"EJOPS_JOB_DB=" + j.dsn, "NO_COLOR=1"}, "apply", dir)
	term.waitFor(t, "Only 'yes' is accepted:")
	j.em.ResetStats()
	if _, err := term.pty.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	if code := term.exitCode(t); code != exitInterrupted {
		t.Fatalf("exit %d after Ctrl-C, want %d\n%s", code, exitInterrupted, term.output())
	}
	if !strings.Contains(term.output(), "nothing was changed") {
		t.Errorf("no word that nothing changed:\n%s", term.output())
	}
	if n := j.procCalls(); n != 0 {
		t.Errorf("%d procedure calls after Ctrl-C", n)
	}
	j.mustRun(t, exitChanges, "plan", "--detailed-exitcode", dir)
}

// TestPlanColour: plan colours its output on a terminal, and not with TERM=dumb, NO_COLOR or
// --no-color, nor on a pipe.
func TestPlanColour(t *testing.T) {
	j := startJobDB(t)
	bin := ejopsBinary(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a")})
	for _, c := range []struct {
		env    []string
		args   []string
		colour bool
	}{
		{env: []string{"TERM=xterm-256color"}, colour: true},
		{env: []string{"TERM=dumb"}},
		{env: []string{"TERM=xterm", "NO_COLOR=1"}},
		{env: []string{"TERM=xterm"}, args: []string{"--no-color"}},
	} {
		env := append([]string{"EJOPS_JOB_DB=" + j.dsn, "NO_COLOR="}, c.env...)
		term := startOnTerminal(t, bin, env, append([]string{"plan", dir}, c.args...)...)
		if code := term.exitCode(t); code != exitOK {
			t.Fatalf("%v: exit %d\n%s", c.env, code, term.output())
		}
		out := term.output()
		if !strings.Contains(out, "Plan: 2 to add") {
			t.Fatalf("%v: no plan:\n%s", c.env, out)
		}
		if got := strings.Contains(out, "\x1b["); got != c.colour {
			t.Errorf("%v %v: colour %v, want %v:\n%q", c.env, c.args, got, c.colour, out)
		}
	}
	out := j.mustRun(t, exitOK, "plan", dir) // stdout is a buffer, not a terminal
	if strings.Contains(out, "\x1b") {
		t.Errorf("colour on a pipe:\n%q", out)
	}
}

// TestApplyProgress: on a terminal apply shows the calls sent, redrawn in place and cleared before
// its report; on a pipe it prints no progress at all.
func TestApplyProgress(t *testing.T) {
	j := startJobDB(t)
	bin := ejopsBinary(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a", "b")})
	term := startOnTerminal(t, bin, []string{"EJOPS_JOB_DB=" + j.dsn, "NO_COLOR=1", "TERM=xterm"}, "apply", "--yes", dir)
	if code := term.exitCode(t); code != exitOK {
		t.Fatalf("exit %d\n%s", code, term.output())
	}
	out := term.output()
	for _, want := range []string{"\rapplying: 1 of 6 calls done", "\rapplying: 6 of 6 calls done\r\x1b[K", "applied: create job nightly", "Apply complete"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal does not show %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, "sent\n") {
		t.Errorf("a progress line was ended by a newline instead of redrawn:\n%q", out)
	}
	code, stdout, stderr := startJobDB(t).ejops(t, "apply", "--yes", dir)
	if code != exitOK || strings.Contains(stdout+stderr, "applying:") || strings.ContainsAny(stdout+stderr, "\r\x1b") {
		t.Errorf("progress on a pipe (exit %d):\n%q\n%q", code, stdout, stderr)
	}
}
