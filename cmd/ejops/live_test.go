package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// TestLiveJobDatabase runs the apply/plan/prune round trip against a real Azure job database named
// by EJOPS_LIVE_JOB_DB, in a scope of its own, and removes what it created.
func TestLiveJobDatabase(t *testing.T) {
	dsn := os.Getenv("EJOPS_LIVE_JOB_DB")
	if dsn == "" {
		t.Skip("EJOPS_LIVE_JOB_DB is not set: no real job database to test against (see README.md)")
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	id := "ejops-live-" + hex.EncodeToString(suffix)
	run := func(want int, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		all := append([]string{args[0], "--job-db", dsn, "--scope", id}, args[1:]...)
		if code := Main(all, strings.NewReader(""), &stdout, &stderr); code != want {
			t.Fatalf("ejops %s: exit %d, want %d\n%s\n%s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	tg := strings.ReplaceAll(tenants, "name: tenants", "name: "+id)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tg,
		"job.yaml": strings.ReplaceAll(jobSpec(id, "a", "b"), "tenants", id)})
	empty := writeSpecs(t, map[string]string{"agent.yaml": miAgent})
	t.Cleanup(func() { run(0, "apply", "--yes", "--prune", empty) })

	run(0, "apply", "--yes", dir)
	run(0, "plan", "--detailed-exitcode", dir)
	run(0, "apply", "--yes", "--prune", empty)
	// After the prune nothing named id is left: neither kept, nor unmanaged, nor planned.
	if out := run(0, "plan", "--detailed-exitcode", "--format", "json", empty); strings.Contains(out, `"name": "`+id+`"`) {
		t.Fatalf("objects of scope %s left behind:\n%s", id, out)
	}
}
