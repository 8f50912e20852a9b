package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator"
)

// sidecar is an `ejops apply --watch` process with JSON logs and its health endpoints.
type sidecar struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	addr string
	exit chan error
}

// startSidecar runs the binary bin as apply --watch against dsn, with extra flags and the spec path.
func startSidecar(t testing.TB, bin, dsn string, args ...string) *sidecar {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &sidecar{logs: &syncBuffer{}, addr: addr, exit: make(chan error, 1)}
	s.cmd = exec.Command(bin, append([]string{"apply", "--watch", "--job-db", dsn, "--listen", addr, "--log-format", "json",
		"--debounce", "50ms", "--leader-retry", "100ms"}, args...)...)
	s.cmd.Stderr = s.logs
	s.cmd.Stdout = io.Discard
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exit <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.exit
		}
		if t.Failed() {
			t.Logf("sidecar %d logs:\n%s", s.cmd.Process.Pid, s.logs)
		}
	})
	return s
}

// lines returns the log records with message msg whose attributes include every key=value of kv.
func (s *sidecar) lines(msg string, kv ...string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.logs.String()))
	sc.Buffer(nil, 1<<20)
next:
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec["msg"] != msg {
			continue
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if fmt.Sprint(rec[kv[i]]) != kv[i+1] {
				continue next
			}
		}
		out = append(out, rec)
	}
	return out
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitLog waits for n log records with message msg and attributes kv.
func (s *sidecar) waitLog(t testing.TB, n int, msg string, kv ...string) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d log lines %q %v", n, msg, kv), func() bool { return len(s.lines(msg, kv...)) >= n })
}

func (s *sidecar) get(path string) (int, string) {
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *sidecar) waitReady(t *testing.T, want bool) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("readyz %v", want), func() bool {
		code, _ := s.get("/readyz")
		return (code == 200) == want
	})
}

// signal sends sig and returns the exit error once the process ended.
func (s *sidecar) signal(t testing.TB, sig os.Signal) error {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exit:
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("the sidecar did not exit")
		return nil
	}
}

// description reads a job's description, "" when the job does not exist.
func (j *jobDB) description(t testing.TB, job string) string {
	t.Helper()
	var d string
	_ = j.db.QueryRow("SELECT description FROM jobs.jobs WHERE job_name = @p1", job).Scan(&d)
	return d
}

// specWithDescription is an agent, a target group and a job whose description is desc.
func specWithDescription(desc string) string {
	return miAgent + "---\n" + tenants + "---\n" + strings.Replace(jobSpec("nightly", "stats"), "description: maintenance", "description: "+desc, 1)
}

// tsqlQuery runs a query with FreeTDS tsql when it is installed (EJOPS_REQUIRE_TSQL=1 requires
// it) and returns its output; ok is false without tsql.
func tsqlQuery(t *testing.T, j *jobDB, query string) (out string, ok bool) {
	t.Helper()
	tsql, err := exec.LookPath("tsql")
	if err != nil {
		if os.Getenv("EJOPS_REQUIRE_TSQL") == "1" {
			t.Fatal("FreeTDS tsql is not on PATH (EJOPS_REQUIRE_TSQL=1 requires it)")
		}
		return "", false
	}
	u, err := url.Parse(j.dsn)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	cmd := exec.Command(tsql, "-H", u.Hostname(), "-p", u.Port(), "-U", u.User.Username(), "-P", pw, "-D", emulator.Database, "-o", "q")
	cmd.Stdin = strings.NewReader(query + "\ngo\n")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tsql: %v\n%s", err, b)
	}
	return string(b), true
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// watched starts a job database, a spec folder holding specWithDescription(desc) and the sidecar
// bin with flags on them, and waits for its first apply.
func watched(t *testing.T, bin, desc string, flags ...string) (*jobDB, string, *sidecar) {
	t.Helper()
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"jobs.yaml": specWithDescription(desc)})
	s := startSidecar(t, bin, j.dsn, append(flags, dir)...)
	s.waitLog(t, 1, "pass", "result", "applied")
	return j, dir, s
}

// TestWatch drives the built binary's apply --watch against emulators over TCP.
func TestWatch(t *testing.T) {
	bin := filepath.Join(ejopsBinary(t), "ejops")
	for _, c := range []struct {
		name string
		test func(t *testing.T, bin string)
	}{
		{"a saved change is applied within a second, a rename-write once", watchSavedChange},
		{"a git-sync symlink swap is picked up", watchSymlinkSwap},
		{"drift is corrected on resync; warn mode reports it and leaves it", watchDrift},
		{"a broken spec keeps the last good state and readiness down until fixed", watchBrokenSpec},
		{"a job database outage is survived without a log line per retry", watchOutage},
		{"two replicas: one leads, the other takes over when it is killed", watchReplicas},
		{"SIGTERM during a pass finishes it and exits 0", watchSigterm},
		{"a failed job execution shows in the metrics by job and database", watchJobOutcomes},
		{"secrets reach no log line, metric or health answer", watchSecrets},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t, bin)
		})
	}
}

// watchSavedChange checks that a saved change is applied within a second, a rename-write once.
func watchSavedChange(t *testing.T, bin string) {
	j, dir, s := watched(t, bin, "v0")
	for i := 1; i <= 3; i++ {
		want := fmt.Sprintf("v%d", i)
		start := time.Now()
		writeFile(t, filepath.Join(dir, "jobs.yaml"), specWithDescription(want))
		waitFor(t, 5*time.Second, "the change", func() bool { return j.description(t, "nightly") == want })
		if took := time.Since(start); took > time.Second {
			t.Errorf("change %d visible after %s", i, took)
		}
	}
	s.waitLog(t, 4, "pass", "result", "applied")
	if out, ok := tsqlQuery(t, j, "SELECT description FROM jobs.jobs WHERE job_name = N'nightly'"); ok && !strings.Contains(out, "v3") {
		t.Errorf("tsql does not see the change:\n%s", out)
	}
	// An editor writes a temporary file and renames it over the spec: one pass.
	tmp := filepath.Join(dir, ".jobs.yaml.tmp")
	writeFile(t, tmp, specWithDescription("renamed"))
	if err := os.Rename(tmp, filepath.Join(dir, "jobs.yaml")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the rename-write", func() bool { return j.description(t, "nightly") == "renamed" })
	time.Sleep(300 * time.Millisecond)
	if n := len(s.lines("pass", "trigger", "files")); n != 4 {
		t.Errorf("%d passes on file events for 4 saves", n)
	}
}

// watchSymlinkSwap checks that a git-sync symlink swap is picked up.
func watchSymlinkSwap(t *testing.T, bin string) {
	j := startJobDB(t)
	root := t.TempDir()
	writeFile(t, filepath.Join(root, ".worktrees", "a1", "jobs", "jobs.yaml"), specWithDescription("commit a1"))
	writeFile(t, filepath.Join(root, ".worktrees", "b2", "jobs", "jobs.yaml"), specWithDescription("commit b2"))
	if err := os.Symlink(".worktrees/a1", filepath.Join(root, "current")); err != nil {
		t.Fatal(err)
	}
	s := startSidecar(t, bin, j.dsn, filepath.Join(root, "current", "jobs"))
	waitFor(t, 10*time.Second, "the first commit", func() bool { return j.description(t, "nightly") == "commit a1" })
	// git-sync makes a new link and renames it over the old one.
	if err := os.Symlink(".worktrees/b2", filepath.Join(root, "tmp-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(root, "tmp-link"), filepath.Join(root, "current")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the swapped commit", func() bool { return j.description(t, "nightly") == "commit b2" })
	s.waitLog(t, 1, "pass", "trigger", "files", "result", "applied")
}

// watchDrift checks that drift is corrected on resync; warn mode reports it and leaves it.
func watchDrift(t *testing.T, bin string) {
	j, dir, s := watched(t, bin, "from git", "--interval", "300ms")
	j.exec(t, "EXEC jobs.sp_update_job @job_name = N'nightly', @description = N'by hand'")
	waitFor(t, 5*time.Second, "the drift corrected", func() bool { return j.description(t, "nightly") == "from git" })
	s.waitLog(t, 1, "pass", "trigger", "resync", "result", "applied", "drift", "true")
	waitFor(t, 5*time.Second, "the drift metric", func() bool {
		_, m := s.get("/metrics")
		return strings.Contains(m, "ejops_drift_corrections_total 1")
	})
	if err := s.signal(t, syscall.SIGTERM); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}

	j.exec(t, "EXEC jobs.sp_update_job @job_name = N'nightly', @description = N'by hand'")
	w := startSidecar(t, bin, j.dsn, "--interval", "200ms", "--mode", "warn", dir)
	w.waitLog(t, 3, "pass", "result", "pending", "objects", "update job nightly")
	if d := j.description(t, "nightly"); d != "by hand" {
		t.Fatalf("warn mode changed the description to %q", d)
	}
	if _, m := w.get("/metrics"); !strings.Contains(m, "ejops_pending_changes 1") {
		t.Fatalf("metrics:\n%s", m)
	}
}

// watchBrokenSpec checks that a broken spec keeps the last good state and readiness down until fixed.
func watchBrokenSpec(t *testing.T, bin string) {
	j, dir, s := watched(t, bin, "good", "--interval", "200ms")
	s.waitReady(t, true)
	writeFile(t, filepath.Join(dir, "jobs.yaml"), specWithDescription("broken")+"\n  steps: [\n")
	s.waitReady(t, false)
	s.waitLog(t, 1, "invalid spec")
	time.Sleep(500 * time.Millisecond) // resyncs come and go
	if d := j.description(t, "nightly"); d != "good" {
		t.Fatalf("a broken spec changed the description to %q", d)
	}
	if n := len(s.lines("pass", "result", "invalid")); n != 1 {
		t.Errorf("the same broken specs were passed %d times", n)
	}
	writeFile(t, filepath.Join(dir, "jobs.yaml"), specWithDescription("fixed"))
	waitFor(t, 5*time.Second, "the fix applied", func() bool { return j.description(t, "nightly") == "fixed" })
	s.waitReady(t, true)
}

// watchOutage checks that a job database outage is survived without a log line per retry.
func watchOutage(t *testing.T, bin string) {
	opts := emulator.Options{Password: "outage-pw-1", StatePath: filepath.Join(t.TempDir(), "jobdb.json")}
	j := serveJobDB(t, opts)
	dir := writeSpecs(t, map[string]string{"jobs.yaml": specWithDescription("before")})
	s := startSidecar(t, bin, j.dsn, "--max-backoff", "300ms", "--log-level", "debug", dir)
	s.waitLog(t, 1, "pass", "result", "applied")
	j.em.Close()
	writeFile(t, filepath.Join(dir, "jobs.yaml"), specWithDescription("during"))
	time.Sleep(3 * time.Second)
	em, err := emulator.New(opts) // the same state, on the same address
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	u, _ := url.Parse(j.dsn)
	if _, err := em.Listen(u.Host); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, 1, "job database reachable again")
	s.waitLog(t, 2, "pass", "result", "applied", "trigger", "leader")
	if d := j.description(t, "nightly"); d != "during" {
		t.Fatalf("after the outage: description %q", d)
	}
	attempts := len(s.lines("leader election"))
	logged := 0
	for _, rec := range s.lines("leader election") {
		if rec["level"] != "DEBUG" {
			logged++
		}
	}
	if attempts < 6 || logged > 2 {
		t.Fatalf("%d attempts during the outage, %d of them logged above debug", attempts, logged)
	}
}

// watchReplicas checks that of two replicas one leads, and the other takes over when it is killed.
func watchReplicas(t *testing.T, bin string) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"jobs.yaml": specWithDescription("one")})
	a := startSidecar(t, bin, j.dsn, dir)
	a.waitLog(t, 1, "leading: this replica applies")
	b := startSidecar(t, bin, j.dsn, dir)
	b.waitLog(t, 1, "following: another replica leads; this one serves health only")
	b.waitReady(t, true)
	writeFile(t, filepath.Join(dir, "jobs.yaml"), specWithDescription("two"))
	waitFor(t, 5*time.Second, "the leader's apply", func() bool { return j.description(t, "nightly") == "two" })
	time.Sleep(300 * time.Millisecond)
	if n := len(b.lines("pass")); n != 0 {
		t.Fatalf("the follower passed %d times", n)
	}
	if err := a.signal(t, syscall.SIGKILL); err == nil {
		t.Fatal("SIGKILL: no error")
	}
	killed := time.Now()
	b.waitLog(t, 1, "leading: this replica applies")
	if took := time.Since(killed); took > 3*time.Second {
		t.Errorf("takeover after %s", took)
	}
	writeFile(t, filepath.Join(dir, "jobs.yaml"), specWithDescription("three"))
	waitFor(t, 5*time.Second, "the new leader's apply", func() bool { return j.description(t, "nightly") == "three" })
}

// watchSigterm checks that SIGTERM during a pass finishes it and exits 0.
func watchSigterm(t *testing.T, bin string) {
	j, dir, s := watched(t, bin, "first")
	j.em.SetDelay(150 * time.Millisecond)
	j.em.ResetStats()
	writeFile(t, filepath.Join(dir, "jobs.yaml"), specWithDescription("second")+"---\n"+jobSpec("weekly", "a", "b"))
	waitFor(t, 10*time.Second, "the pass to start writing", func() bool { return j.em.Stats().Procs["jobs.sp_add_job"] > 0 })
	if err := s.signal(t, syscall.SIGTERM); err != nil {
		t.Fatalf("exit after SIGTERM during a pass: %v", err)
	}
	j.em.SetDelay(0)
	s.waitLog(t, 2, "pass", "result", "applied")
	s.waitLog(t, 1, "stopped")
	if out := j.mustRun(t, 0, "plan", dir); !strings.Contains(out, "No changes") {
		t.Fatalf("the job database is not what the specs say after SIGTERM:\n%s", out)
	}

	// A second signal ends the process at once; the server rolls its transaction back.
	s = startSidecar(t, bin, j.dsn, dir)
	s.waitLog(t, 1, "pass", "result", "unchanged")
	j.em.SetDelay(150 * time.Millisecond)
	j.em.ResetStats()
	writeFile(t, filepath.Join(dir, "jobs.yaml"), specWithDescription("third")+"---\n"+jobSpec("weekly", "a", "b")+"---\n"+jobSpec("monthly", "a", "b"))
	waitFor(t, 10*time.Second, "the pass to start writing", func() bool { return j.em.Stats().Procs["jobs.sp_add_job"] > 0 })
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	if err := s.signal(t, syscall.SIGTERM); err == nil {
		t.Fatal("the second SIGTERM let the pass finish")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the second SIGTERM took %s to end the process", took)
	}
	j.em.SetDelay(0)
	waitFor(t, 5*time.Second, "the rollback", func() bool {
		return j.description(t, "nightly") == "second" && fmt.Sprint(j.scalar(t, "SELECT COUNT(*) FROM jobs.jobs WHERE job_name = N'monthly'")) == "0"
	})
}

// watchJobOutcomes checks that a failed job execution shows in the metrics by job and database.
func watchJobOutcomes(t *testing.T, bin string) {
	fleet := filepath.Join(t.TempDir(), "fleet.yaml")
	writeFile(t, fleet, `authentication: ManagedIdentity
servers:
  - name: t1.database.windows.net
    databases:
      - a
      - name: b
        failure: {message: "Invalid object name 'dbo.missing'.", number: 208, always: true}
`)
	j := serveJobDB(t, emulator.Options{Password: "fleet-pw-1", Fleet: fleet})
	spec := strings.Replace(jobSpec("nightly", "stats"), "command:", "retry: {attempts: 0}\n      command:", 1)
	dir := writeSpecs(t, map[string]string{"jobs.yaml": miAgent + "---\n" + tenants + "---\n" + spec})
	s := startSidecar(t, bin, j.dsn, "--interval", "200ms", dir)
	s.waitLog(t, 1, "pass", "result", "applied")
	time.Sleep(300 * time.Millisecond) // a resync: the window of outcomes starts
	j.exec(t, "EXEC jobs.sp_start_job N'nightly'")
	waitFor(t, 10*time.Second, "the job outcome metrics", func() bool {
		_, m := s.get("/metrics")
		return strings.Contains(m, `ejops_job_failed_databases_total{database="b",job_name="nightly",server="t1.database.windows.net"} 1`) &&
			strings.Contains(m, `ejops_job_executions_total{job_name="nightly",lifecycle="Failed"} 1`)
	})
	if _, m := s.get("/metrics"); strings.Contains(m, `database="a"`) {
		t.Fatalf("a database that succeeded counted as failed:\n%s", m)
	}
}

// watchSecrets checks that secrets reach no log line, metric or health answer: a credential is
// created, then its secret changes and the first apply of the change fails on commit.
func watchSecrets(t *testing.T, bin string) {
	j := startJobDB(t)
	j.exec(t, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Master-Key-1'")
	secret := filepath.Join(t.TempDir(), "job-cred")
	writeFile(t, secret, "S3ntinel-watch-one")
	cred := fmt.Sprintf("apiVersion: ejops/v1\nkind: Credential\nmetadata: {name: job-cred}\nspec:\n  identity: jobuser\n  secretFrom: {file: %q}\n", secret)
	job := strings.Replace(jobSpec("nightly", "stats"), "targetGroup: tenants", "targetGroup: tenants\n      credential: job-cred", 1)
	dir := writeSpecs(t, map[string]string{"jobs.yaml": cred + "---\n" + tenants + "---\n" + job})
	s := startSidecar(t, bin, j.dsn, "--interval", "200ms", "--log-level", "debug", dir)
	s.waitLog(t, 1, "pass", "result", "applied")
	j.em.FailNextCommit()
	writeFile(t, secret, "S3ntinel-watch-two") // read at the next resync
	s.waitLog(t, 1, "pass", "result", "error")
	_, ready := s.get("/readyz")
	s.waitLog(t, 1, "recovered")
	_, metrics := s.get("/metrics")
	for what, text := range map[string]string{"logs": s.logs.String(), "/readyz": ready, "/metrics": metrics} {
		if strings.Contains(text, "S3ntinel") {
			t.Errorf("a secret is in the %s", what)
		}
	}
}

// BenchmarkWatchLatency50Edits measures, through the built binary against an emulator over TCP,
// the time from saving a spec to its change being visible in jobs.jobs, over 50 edits; it reports
// the median and the 95th percentile.
func BenchmarkWatchLatency50Edits(b *testing.B) {
	bin := filepath.Join(ejopsBinary(b), "ejops")
	j := serveJobDB(b, emulator.Options{Password: "bench-pw-1"})
	dir := b.TempDir()
	file := filepath.Join(dir, "jobs.yaml")
	writeFile(b, file, specWithDescription("edit 0"))
	s := startSidecar(b, bin, j.dsn, "--debounce", "250ms", dir) // the default debounce
	s.waitLog(b, 1, "pass", "result", "applied")
	for range b.N {
		var took []time.Duration
		for i := 1; i <= 50; i++ {
			want := fmt.Sprintf("edit %d", i)
			start := time.Now()
			writeFile(b, file, specWithDescription(want))
			for j.description(b, "nightly") != want {
				if time.Since(start) > 10*time.Second {
					b.Fatalf("edit %d not applied after 10 s", i)
				}
				time.Sleep(2 * time.Millisecond)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "ms-median")
		b.ReportMetric(float64(took[len(took)*95/100].Milliseconds()), "ms-p95")
		b.ReportMetric(float64(took[len(took)-1].Milliseconds()), "ms-max")
	}
}

// BenchmarkWatchIdleFootprint1000Jobs runs the built binary's apply --watch on 1,000 jobs, waits
// for the first pass and a few seconds of settling, then reports its resident memory and the CPU
// it used over 60 idle seconds (from /proc).
func BenchmarkWatchIdleFootprint1000Jobs(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc")
	}
	bin := filepath.Join(ejopsBinary(b), "ejops")
	j := serveJobDB(b, emulator.Options{Password: "bench-pw-2"})
	dir := b.TempDir()
	writeFile(b, filepath.Join(dir, "base.yaml"), miAgent+"---\n"+tenants)
	for f := range 10 {
		var docs []string
		for i := range 100 {
			docs = append(docs, jobSpec(fmt.Sprintf("job-%04d", f*100+i), "update-stats", "rebuild-indexes", "purge-history"))
		}
		writeFile(b, filepath.Join(dir, fmt.Sprintf("jobs-%02d.yaml", f)), strings.Join(docs, "---\n"))
	}
	for range b.N {
		// The defaults, which the test helper shortens.
		s := startSidecar(b, bin, j.dsn, "--debounce", "250ms", "--leader-retry", "2s", dir)
		waitFor(b, 2*time.Minute, "the first pass", func() bool { return len(s.lines("pass", "result", "applied", "changes", "1001")) == 1 })
		time.Sleep(5 * time.Second)
		pid := s.cmd.Process.Pid
		cpu0, rss0 := procUsage(b, pid)
		time.Sleep(60 * time.Second)
		cpu1, rss1 := procUsage(b, pid)
		b.ReportMetric(float64(max(rss0, rss1))/(1<<20), "MB-rss")
		b.ReportMetric(float64((cpu1 - cpu0).Milliseconds()), "ms-cpu/60s")
		if err := s.signal(b, syscall.SIGTERM); err != nil {
			b.Fatal(err)
		}
	}
}

// procUsage reads a process's CPU time (user and system) and resident memory in bytes.
func procUsage(t testing.TB, pid int) (time.Duration, int64) {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name, which is in parentheses: utime and stime are the 12th
	// and 13th, in clock ticks of 1/100 s.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	var rss int64
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			rss = kb << 10
		}
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, rss
}
