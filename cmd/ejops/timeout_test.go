package main

import (
	"strings"
	"testing"
	"time"
)

// TestTimeoutsNameTheirFlag: an operation slower than --db-timeout and a command longer than
// --timeout fail promptly, each naming the flag to raise, and change nothing.
func TestTimeoutsNameTheirFlag(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a")})
	j.em.SetDelay(3 * time.Second)
	defer j.em.SetDelay(0)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--db-timeout", "200ms", dir}, "read job database: the job database did not answer within 200ms (raise --db-timeout)"},
		{[]string{"apply", "--yes", "--timeout", "300ms", dir}, "ejops ran longer than --timeout 300ms; raise --timeout"},
		{[]string{"export", "--timeout", "300ms", "--out", t.TempDir()}, "raise --timeout"},
		{[]string{"executions", "--db-timeout", "200ms"}, "list executions: the job database did not answer within 200ms (raise --db-timeout)"},
		{[]string{"run", "--db-timeout", "200ms", "nightly"}, "the job database did not answer within 200ms (raise --db-timeout)"},
	} {
		start := time.Now()
		code, _, errOut := j.ejops(t, c.args...)
		if code != exitFailure || !strings.Contains(errOut, c.want) {
			t.Errorf("ejops %s: exit %d, want 1 and %q\n%s", strings.Join(c.args, " "), code, c.want, errOut)
		}
		if d := time.Since(start); d > 2500*time.Millisecond { // without the bound: 3s or more
			t.Errorf("ejops %s took %s", strings.Join(c.args, " "), d)
		}
	}
	j.em.SetDelay(0)
	if n := j.scalar(t, "SELECT COUNT(*) FROM jobs.jobs").(int64); n != 0 {
		t.Fatalf("%d jobs applied by a timed-out apply", n)
	}
}

// TestDBTimeoutBoundsEachOperation: --db-timeout bounds each request, not the whole apply, so an
// apply of several requests each well under it succeeds however long it takes in all.
func TestDBTimeoutBoundsEachOperation(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a", "b", "c")})
	j.em.SetDelay(200 * time.Millisecond) // an apply is 4 requests: read, lock and read, calls, commit
	defer j.em.SetDelay(0)
	start := time.Now()
	j.mustRun(t, exitOK, "apply", "--yes", "--db-timeout", "400ms", "--lock-wait", "0s", dir)
	if d := time.Since(start); d < 600*time.Millisecond {
		t.Fatalf("the apply took %s: too short to show that the bound is per operation", d)
	}
	j.em.SetDelay(0)
	j.mustRun(t, exitOK, "plan", "--detailed-exitcode", dir)
}
