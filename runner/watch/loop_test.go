package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
)

// Generous bounds: the loop's own timers are milliseconds, the machine may be slow.
const (
	soon  = 5 * time.Second        // something expected happens within this
	quiet = 300 * time.Millisecond // nothing unexpected happens within this
)

// logs records JSON log lines.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines returns the records with the given message at level (any level when "").
func (l *logs) lines(level, msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg && (level == "" || rec["level"] == level) {
			out = append(out, rec)
		}
	}
	return out
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// harness runs a Loop on a spec folder with a fake pass.
type harness struct {
	dir    string
	loop   *Loop
	calls  chan Request
	result atomic.Value // func(Request) Result
	logs   *logs
	stop   func()
}

// start runs the loop; the fake pass returns what result says (by default, success).
func start(t *testing.T, cfg Config, result ...func(Request) Result) *harness {
	t.Helper()
	h := &harness{dir: t.TempDir(), calls: make(chan Request, 1000), logs: &logs{}}
	write(t, filepath.Join(h.dir, "job.yaml"), "v1")
	h.setResult(func(Request) Result { return Result{} })
	for _, r := range result {
		h.setResult(r)
	}
	if cfg.Paths == nil {
		cfg.Paths = []string{h.dir}
	}
	if cfg.Debounce == 0 {
		cfg.Debounce = 30 * time.Millisecond
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Hour
	}
	cfg.Logger = slogJSON(h.logs)
	cfg.Pass = func(_ context.Context, req Request) Result {
		h.calls <- req
		return h.result.Load().(func(Request) Result)(req)
	}
	h.loop = New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.loop.Run(ctx) }()
	h.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(h.stop)
	return h
}

func (h *harness) setResult(f func(Request) Result) { h.result.Store(f) }

// pass waits for the next pass.
func (h *harness) pass(t *testing.T) Request {
	t.Helper()
	select {
	case req := <-h.calls:
		return req
	case <-time.After(soon):
		t.Fatalf("no pass\nlogs:\n%s", h.logs)
		return Request{}
	}
}

// noPass checks that no pass starts for a while.
func (h *harness) noPass(t *testing.T) {
	t.Helper()
	select {
	case req := <-h.calls:
		t.Fatalf("unexpected pass %+v\nlogs:\n%s", req, h.logs)
	case <-time.After(quiet):
	}
}

func (h *harness) ready(t *testing.T, want bool) {
	t.Helper()
	deadline := time.Now().Add(soon)
	for {
		rec := httptest.NewRecorder()
		h.loop.Handler().ServeHTTP(rec, httptest.NewRequest("GET", ReadyPath, nil))
		if got := rec.Code == 200; got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d %s, want ready %v", ReadyPath, rec.Code, rec.Body, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) metrics(t *testing.T) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.loop.Handler().ServeHTTP(rec, httptest.NewRequest("GET", MetricsPath, nil))
	if rec.Code != 200 {
		t.Fatalf("%s: %d", MetricsPath, rec.Code)
	}
	return rec.Body.String()
}

func slogJSON(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSavedChangePassesOnceAfterTheDebounce(t *testing.T) {
	t.Parallel()
	h := start(t, Config{})
	req := h.pass(t) // the first pass, at start
	if !req.Write || len(req.Paths) != 1 {
		t.Fatalf("first pass: %+v", req)
	}
	h.noPass(t)
	h.ready(t, true)
	// A burst of writes is one pass.
	for i := range 5 {
		write(t, filepath.Join(h.dir, "job.yaml"), "v2 "+strings.Repeat("x", i))
	}
	h.pass(t)
	h.noPass(t)
	// An editor's rename-write: a temporary file renamed over the spec. Picked up once.
	tmp := filepath.Join(h.dir, ".job.yaml.swp")
	write(t, tmp, "v3")
	if err := os.Rename(tmp, filepath.Join(h.dir, "job.yaml")); err != nil {
		t.Fatal(err)
	}
	h.pass(t)
	h.noPass(t)
	// Writing the same content again changes nothing: no pass.
	write(t, filepath.Join(h.dir, "job.yaml"), "v3")
	h.noPass(t)
	// Files that are not specs are not looked at.
	write(t, filepath.Join(h.dir, "README.md"), "notes")
	h.noPass(t)
	// A new folder, and a spec written into it.
	write(t, filepath.Join(h.dir, "team", "more", "job.yml"), "v1")
	h.pass(t)
	write(t, filepath.Join(h.dir, "team", "more", "job.yml"), "v2")
	h.pass(t)
	h.noPass(t) // the last pass logs once it returns
	if n := len(h.logs.lines("INFO", "pass")); n != 5 {
		t.Errorf("%d pass lines for 5 passes\n%s", n, h.logs)
	}
}

func TestSymlinkSwapIsPickedUp(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, rev := range []string{"rev1", "rev2"} {
		write(t, filepath.Join(root, ".worktrees", rev, "jobs", "job.yaml"), rev)
	}
	link := filepath.Join(root, "current")
	if err := os.Symlink(filepath.Join(".worktrees", "rev1"), link); err != nil {
		t.Fatal(err)
	}
	h := start(t, Config{Paths: []string{link}})
	if req := h.pass(t); !strings.HasSuffix(req.Paths[0], filepath.Join(".worktrees", "rev1")) {
		t.Fatalf("first pass on %v, want the link resolved", req.Paths)
	}
	// git-sync: a new link beside the old one, renamed over it.
	tmp := filepath.Join(root, "tmp-link")
	if err := os.Symlink(filepath.Join(".worktrees", "rev2"), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	if req := h.pass(t); !strings.HasSuffix(req.Paths[0], filepath.Join(".worktrees", "rev2")) {
		t.Fatalf("pass after the swap on %v", req.Paths)
	}
	h.noPass(t)
	// The old worktree goes away; the new one is watched.
	if err := os.RemoveAll(filepath.Join(root, ".worktrees", "rev1")); err != nil {
		t.Fatal(err)
	}
	h.noPass(t)
	write(t, filepath.Join(root, ".worktrees", "rev2", "jobs", "job.yaml"), "edited")
	h.pass(t)
}

func TestInvalidSpecsAreReportedOnceAndKeepReadinessDown(t *testing.T) {
	t.Parallel()
	h := start(t, Config{Interval: 100 * time.Millisecond})
	h.pass(t)
	h.ready(t, true)
	h.setResult(func(Request) Result {
		return Result{Status: StatusInvalid, Err: errors.New("1 error in the specs"), Diagnostics: []string{"job.yaml:1:1: error: SPEC001: bad"}}
	})
	write(t, filepath.Join(h.dir, "job.yaml"), "broken")
	h.pass(t)
	h.ready(t, false)
	// Neither resyncs nor events that change nothing run the same broken specs again.
	write(t, filepath.Join(h.dir, "job.yaml"), "broken")
	h.noPass(t)
	h.noPass(t)
	if n := len(h.logs.lines("ERROR", "invalid spec")); n != 1 {
		t.Fatalf("diagnostics logged %d times\n%s", n, h.logs)
	}
	h.setResult(func(Request) Result { return Result{} })
	write(t, filepath.Join(h.dir, "job.yaml"), "fixed")
	h.pass(t)
	h.ready(t, true)
	if m := h.metrics(t); !strings.Contains(m, `ejops_reconcile_passes_total{result="invalid"} 1`) {
		t.Fatalf("metrics:\n%s", m)
	}
}

func TestFailuresBackOffAndLogSparingly(t *testing.T) {
	t.Parallel()
	h := start(t, Config{Backoff: 10 * time.Millisecond, MaxBackoff: 160 * time.Millisecond}, func(Request) Result {
		return Result{Status: StatusFailed, Err: errors.New("dial tcp: connection refused")}
	})
	h.pass(t)
	h.ready(t, false)
	// Events that change nothing do not hurry the retries.
	for range 20 {
		write(t, filepath.Join(h.dir, "job.yaml"), "v1")
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(time.Second)
	h.setResult(func(Request) Result { return Result{} })
	h.ready(t, true)
	passes := 1 + len(h.calls)
	// Retries after 10, 20, 40, 80 ms, then every 160 ms: about 9 in the second and a bit.
	if passes < 4 || passes > 16 {
		t.Errorf("%d passes in about 1.1 s of failures", passes)
	}
	logged := len(h.logs.lines("ERROR", "pass"))
	if logged < 1 || logged > passes/2 {
		t.Errorf("%d failure lines for %d failed passes\n%s", logged, passes, h.logs)
	}
	if len(h.logs.lines("INFO", "recovered")) != 1 {
		t.Errorf("no recovery line\n%s", h.logs)
	}
	if m := h.metrics(t); !strings.Contains(m, "ejops_apply_errors_total") {
		t.Fatalf("metrics:\n%s", m)
	}
}

func TestResyncCorrectsDriftAndCountsIt(t *testing.T) {
	t.Parallel()
	var drifted atomic.Bool
	h := start(t, Config{Interval: 50 * time.Millisecond}, func(Request) Result {
		if drifted.Swap(false) {
			return Result{Changes: []string{"update job nightly"}, Applied: true}
		}
		return Result{}
	})
	h.pass(t)
	h.pass(t) // resyncs pass without any file event
	drifted.Store(true)
	deadline := time.Now().Add(soon)
	for !strings.Contains(h.metrics(t), "ejops_drift_corrections_total 1") {
		if time.Now().After(deadline) {
			t.Fatalf("metrics:\n%s", h.metrics(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWarnModeAndSuspendFileNeverWrite(t *testing.T) {
	t.Parallel()
	h := start(t, Config{Mode: Warn})
	if req := h.pass(t); req.Write {
		t.Fatal("warn mode asked to write")
	}
	h2 := start(t, Config{})
	if req := h2.pass(t); !req.Write {
		t.Fatal("enforce mode did not write")
	}
	write(t, filepath.Join(h2.dir, SuspendName), "")
	if req := h2.pass(t); req.Write {
		t.Fatal("suspended, yet asked to write")
	}
	if m := h2.metrics(t); !strings.Contains(m, "ejops_suspended 1") {
		t.Fatalf("metrics:\n%s", m)
	}
	if err := os.Remove(filepath.Join(h2.dir, SuspendName)); err != nil {
		t.Fatal(err)
	}
	if req := h2.pass(t); !req.Write {
		t.Fatal("resumed, yet not asked to write")
	}
}

// lease is a fake leadership whose check fails once broken.
type lease struct{ broken atomic.Bool }

func (l *lease) Check(context.Context) error {
	if l.broken.Load() {
		return errors.New("connection reset")
	}
	return nil
}
func (l *lease) Release(context.Context) error { return nil }

func TestOnlyTheLeaderPasses(t *testing.T) {
	t.Parallel()
	var held atomic.Pointer[lease]
	elector := func(context.Context) (Lease, error) {
		if cur := held.Load(); cur != nil && !cur.broken.Load() {
			return nil, nil
		}
		l := &lease{}
		held.Store(l)
		return l, nil
	}
	other := &lease{}
	held.Store(other) // another replica leads
	h := start(t, Config{Elector: elector, LeaderRetry: 20 * time.Millisecond})
	h.noPass(t)
	h.ready(t, true) // a healthy follower is ready
	if m := h.metrics(t); !strings.Contains(m, "ejops_leader 0") {
		t.Fatalf("metrics:\n%s", m)
	}
	write(t, filepath.Join(h.dir, "job.yaml"), "v2")
	h.noPass(t)
	other.broken.Store(true) // the leader's session died
	h.pass(t)
	if m := h.metrics(t); !strings.Contains(m, "ejops_leader 1") {
		t.Fatalf("metrics:\n%s", m)
	}
	// This replica's own session dies: it stops passing until it leads again.
	mine := held.Load()
	held.Store(other)
	other.broken.Store(false)
	mine.broken.Store(true)
	write(t, filepath.Join(h.dir, "job.yaml"), "v3")
	h.noPass(t)
	if len(h.logs.lines("WARN", "leadership lost; asking again")) != 1 {
		t.Fatalf("logs:\n%s", h.logs)
	}
}

func TestElectionErrorsAreRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	var calls, down atomic.Int32
	down.Store(1)
	elector := func(context.Context) (Lease, error) {
		calls.Add(1)
		if down.Load() == 1 {
			return nil, errors.New("dial tcp: connection refused")
		}
		return &lease{}, nil
	}
	h := start(t, Config{Elector: elector, LeaderRetry: 10 * time.Millisecond, MaxBackoff: 80 * time.Millisecond})
	time.Sleep(500 * time.Millisecond)
	down.Store(0)
	h.pass(t)
	if n := calls.Load(); n < 4 || n > 15 {
		t.Errorf("%d election attempts in half a second with a backoff from 10 to 80 ms", n)
	}
	if n := len(h.logs.lines("ERROR", "leader election")); n < 1 || n > 8 {
		t.Errorf("%d election failures logged\n%s", n, h.logs)
	}
	if len(h.logs.lines("INFO", "job database reachable again")) != 1 {
		t.Errorf("no recovery line\n%s", h.logs)
	}
}

func TestJobOutcomesAreCountedOnResync(t *testing.T) {
	t.Parallel()
	var reads atomic.Int32
	outcomes := func(_ context.Context, since time.Time) ([]jobdb.ExecutionRow, time.Time, error) {
		n := reads.Add(1)
		if since.IsZero() {
			return nil, time.Unix(100, 0), nil
		}
		if n == 2 && since.Equal(time.Unix(100, 0)) {
			return []jobdb.ExecutionRow{
				{Job: "nightly", Lifecycle: "Failed"},
				{Job: "nightly", StepID: 1, TargetType: "SqlDatabase", Lifecycle: "Failed", TargetServer: "s1", TargetDatabase: "broken"},
				{Job: "nightly", StepID: 1, TargetType: "SqlDatabase", Lifecycle: "Succeeded", TargetServer: "s1", TargetDatabase: "good"},
			}, time.Unix(200, 0), nil
		}
		return nil, since, nil
	}
	h := start(t, Config{Outcomes: outcomes, Interval: 30 * time.Millisecond})
	h.pass(t)
	deadline := time.Now().Add(soon)
	for reads.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("outcomes not read on resync")
		}
		time.Sleep(5 * time.Millisecond)
	}
	m := h.metrics(t)
	for _, want := range []string{
		`ejops_job_executions_total{job_name="nightly",lifecycle="Failed"} 1`,
		`ejops_job_failed_databases_total{database="broken",job_name="nightly",server="s1"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, `database="good"`) {
		t.Error("a database that succeeded is counted as failed")
	}
}

func TestHealthAndStop(t *testing.T) {
	t.Parallel()
	h := start(t, Config{})
	h.pass(t)
	rec := httptest.NewRecorder()
	h.loop.Handler().ServeHTTP(rec, httptest.NewRequest("GET", HealthPath, nil))
	if body, _ := io.ReadAll(rec.Body); rec.Code != 200 || string(body) != "ok\n" {
		t.Fatalf("%s: %d %q", HealthPath, rec.Code, body)
	}
	// A pass in flight when the context ends finishes before Run returns.
	release := make(chan struct{})
	finished := make(chan struct{})
	h.setResult(func(Request) Result {
		<-release
		close(finished)
		return Result{}
	})
	write(t, filepath.Join(h.dir, "job.yaml"), "v2")
	h.pass(t)
	stopped := make(chan struct{})
	go func() { h.stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Run returned during a pass")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-stopped
	select {
	case <-finished:
	default:
		t.Fatal("the pass did not finish")
	}
}

// publishConfigMap lays files out the way the kubelet publishes a ConfigMap volume in dir: a
// timestamped folder, a ..data link renamed over the old one, and a link per key to ..data/key.
func publishConfigMap(t *testing.T, dir, rev string, files map[string]string) {
	t.Helper()
	write(t, filepath.Join(dir, rev, ".keep"), "")
	for k, v := range files {
		write(t, filepath.Join(dir, rev, k), v)
	}
	if err := os.Symlink(rev, filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for k := range files {
		if err := os.Symlink(filepath.Join("..data", k), filepath.Join(dir, k)); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
}

func TestSpecsFromAConfigMapAreFollowed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	publishConfigMap(t, dir, "..2026_01_01_00_00_00.1", map[string]string{"jobs.yaml": "v1"})
	h := start(t, Config{Paths: []string{dir}})
	h.pass(t)
	publishConfigMap(t, dir, "..2026_01_01_00_01_00.2", map[string]string{"jobs.yaml": "v2"})
	h.pass(t)
	h.noPass(t)
}

func TestSuspendFileFromAConfigMap(t *testing.T) {
	t.Parallel()
	control := t.TempDir()
	publishConfigMap(t, control, "..2026_01_01_00_00_00.1", nil)
	h := start(t, Config{SuspendFile: filepath.Join(control, "suspend")})
	if req := h.pass(t); !req.Write {
		t.Fatal("no ConfigMap key, yet not asked to write")
	}
	publishConfigMap(t, control, "..2026_01_01_00_01_00.2", map[string]string{"suspend": "incident 1234"})
	if req := h.pass(t); req.Write {
		t.Fatal("suspended through the ConfigMap, yet asked to write")
	}
	publishConfigMap(t, control, "..2026_01_01_00_02_00.3", nil)
	if err := os.Remove(filepath.Join(control, "suspend")); err != nil {
		t.Fatal(err)
	}
	if req := h.pass(t); !req.Write {
		t.Fatal("the key is gone, yet not asked to write")
	}
}

// TestNoPassWhileFilesAreBeingWritten keeps writing a spec faster than the debounce while
// resyncs fall due: passes wait for quiet, or for the debounce's cap, never for a resync in the
// middle of the writes.
func TestNoPassWhileFilesAreBeingWritten(t *testing.T) {
	t.Parallel()
	const debounce = 100 * time.Millisecond
	h := start(t, Config{Interval: 10 * time.Millisecond, Debounce: debounce})
	h.pass(t)
	time.Sleep(50 * time.Millisecond)
	for len(h.calls) > 0 {
		<-h.calls
	}
	began, last, quiet := time.Now(), time.Now(), 0
	for i := range 60 {
		write(t, filepath.Join(h.dir, "job.yaml"), fmt.Sprint("v", i))
		if time.Since(last) > debounce/2 {
			quiet++ // a slow machine left a gap: a pass may come in it
		}
		last = time.Now()
		time.Sleep(10 * time.Millisecond)
	}
	// At most one pass per 4 × debounce of writes, one at their start, one per gap; a resync
	// every 10 ms would make dozens.
	if n, most := len(h.calls), int(time.Since(began)/(4*debounce))+2+quiet; n > most {
		t.Errorf("%d passes in %s of writes, want at most %d", n, time.Since(began).Round(time.Millisecond), most)
	}
}
