package emulator

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/agent"
)

// TestTutorialWithFreeTDS runs Microsoft's elastic jobs T-SQL tutorial ("Create and manage
// elastic jobs by using T-SQL" on Microsoft Learn) through FreeTDS tsql, an independent TDS client
// that sends SQL batches, and compares what it prints with the golden files. UPDATE_GOLDEN=1
// rewrites them. Without tsql the test is skipped, unless EJOPS_REQUIRE_TSQL=1 makes it fail.
func TestTutorialWithFreeTDS(t *testing.T) {
	tsql := lookTSQL(t)
	// A simulated clock that never moves keeps the agent from picking up the started execution,
	// so the script sees it Created, as on a real job database before the agent polls.
	e, err := New(Options{Password: "Tutorial-pw1", Clock: agent.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	addr, err := e.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.Open("testdata/tutorial.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer script.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	port := strconv.Itoa(addr.(*net.TCPAddr).Port)
	cmd := exec.CommandContext(ctx, tsql, "-H", "127.0.0.1", "-p", port, "-U", e.User(), "-P", e.Password(), "-D", Database, "-o", "q")
	cmd.Env = append(os.Environ(), "TDSVER=7.4")
	cmd.Stdin = script
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tsql: %v\n%s", err, stderr.String())
	}
	for name, got := range map[string][]byte{"testdata/tutorial.out": stdout.Bytes(), "testdata/tutorial.err": stderr.Bytes()} {
		if os.Getenv("UPDATE_GOLDEN") == "1" {
			if err := os.WriteFile(name, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s mismatch\n--- got\n%s\n--- want\n%s", name, got, want)
		}
	}
	if n := e.Stats().Procs["jobs.sp_add_target_group_member"]; n != 5 {
		t.Errorf("sp_add_target_group_member calls = %d, want 5", n)
	}
}

// lookTSQL finds FreeTDS tsql on PATH. When it is missing the test is skipped, or fails if
// EJOPS_REQUIRE_TSQL=1.
func lookTSQL(t *testing.T) string {
	t.Helper()
	tsql, err := exec.LookPath("tsql")
	if err == nil {
		return tsql
	}
	const msg = "FreeTDS tsql is not on PATH: install it with apt-get install freetds-bin"
	if os.Getenv("EJOPS_REQUIRE_TSQL") == "1" {
		t.Fatal(msg + " (EJOPS_REQUIRE_TSQL=1 requires it)")
	}
	t.Skip(msg + " (set EJOPS_REQUIRE_TSQL=1 to fail instead)")
	return ""
}
