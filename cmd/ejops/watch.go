package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/runner/watch"
)

// watchFlags are the flags of apply --watch.
type watchFlags struct {
	on          bool
	mode        string
	interval    time.Duration
	debounce    time.Duration
	maxBackoff  time.Duration
	leaderRetry time.Duration
	listen      string
	logFormat   string
	logLevel    string
	suspendFile string
}

func (w *watchFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&w.on, "watch", false, "keep running: apply on every change of the specs and on every --interval (the sidecar)")
	fs.StringVar(&w.mode, "mode", "enforce", "with --watch: enforce applies; warn reports drift and pending changes and writes nothing")
	fs.DurationVar(&w.interval, "interval", 5*time.Minute, "with --watch: resync this often even without changes, correcting drift, and read job outcomes")
	fs.DurationVar(&w.debounce, "debounce", 250*time.Millisecond, "with --watch: quiet time after a file change before applying")
	fs.DurationVar(&w.maxBackoff, "max-backoff", time.Minute, "with --watch: longest wait between retries while the job database fails")
	fs.DurationVar(&w.leaderRetry, "leader-retry", 2*time.Second, "with --watch: how often a follower replica asks to lead")
	fs.StringVar(&w.listen, "listen", "", "with --watch: serve /healthz, /readyz and /metrics on `ADDR` (e.g. :9090)")
	fs.StringVar(&w.logFormat, "log-format", "text", "with --watch: log format, text or json")
	fs.StringVar(&w.logLevel, "log-level", "info", "with --watch: debug, info, warn or error")
	fs.StringVar(&w.suspendFile, "suspend-file", "", "with --watch: stop writes while `FILE` exists (besides "+watch.SuspendName+" in each spec folder)")
}

// check rejects --watch combinations that cannot work; it returns the usage exit code, or -1.
func (w *watchFlags) check(e *env, fs *flag.FlagSet, a *applyArgs) int {
	if !w.on {
		code := -1
		fs.Visit(func(f *flag.Flag) {
			if code < 0 && strings.HasPrefix(f.Usage, "with --watch") {
				code = usageErrorf(e, "apply: --%s needs --watch", f.Name)
			}
		})
		return code
	}
	switch {
	case a.planFile != "":
		return usageErrorf(e, "apply --watch applies the specs as they change; it takes no --plan")
	case a.db.implicit:
		return usageErrorf(e, "apply --watch needs a job database: set --job-db or EJOPS_JOB_DB (the embedded job database only when named: --job-db embedded:PATH)")
	case w.mode != "enforce" && w.mode != "warn":
		return usageErrorf(e, "apply: unknown --mode %q (enforce or warn)", w.mode)
	case w.logFormat != "text" && w.logFormat != "json":
		return usageErrorf(e, "apply: unknown --log-format %q (text or json)", w.logFormat)
	case w.interval <= 0 || w.debounce <= 0 || w.maxBackoff <= 0 || w.leaderRetry <= 0:
		return usageErrorf(e, "apply: --interval, --debounce, --max-backoff and --leader-retry must be positive")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(w.logLevel)); err != nil {
		return usageErrorf(e, "apply: unknown --log-level %q (debug, info, warn or error)", w.logLevel)
	}
	a.yes = true // a sidecar never asks
	return -1
}

// logger is the sidecar's log on stderr.
func (w *watchFlags) logger(stderr io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(w.logLevel))
	opts := &slog.HandlerOptions{Level: level}
	if w.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// runWatch is apply --watch: the sidecar loop, each pass the apply flow, until ctx ends (SIGTERM
// lets the pass in flight finish; the exit is then 0).
func runWatch(ctx context.Context, e *env, a applyArgs) int {
	log := a.watch.logger(e.stderr)
	db, err := a.db.open(e)
	if err != nil {
		return fail(e, err)
	}
	defer db.Close()
	mode := watch.Enforce
	if a.watch.mode == "warn" {
		mode = watch.Warn
	}
	paths := a.paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	loop := watch.New(watch.Config{
		Paths:        paths,
		Mode:         mode,
		Debounce:     a.watch.debounce,
		Interval:     a.watch.interval,
		MaxBackoff:   a.watch.maxBackoff,
		LeaderRetry:  a.watch.leaderRetry,
		CheckTimeout: min(a.db.timeout, 10*time.Second),
		SuspendFile:  a.watch.suspendFile,
		Logger:       log,
		Pass:         func(ctx context.Context, req watch.Request) watch.Result { return pass(ctx, e, a, db, req) },
		Elector: func(ctx context.Context) (watch.Lease, error) {
			l, err := db.TryLead(ctx, jobdb.LeaderResource)
			if l == nil {
				return nil, err
			}
			return l, nil
		},
		Outcomes: db.FinishedSince,
		Now:      e.now,
	})
	stopServer, err := serve(a.watch.listen, loop.Handler(), log)
	if err != nil {
		return fail(e, err)
	}
	defer stopServer()
	log.Info("watching", "paths", strings.Join(paths, ","), "mode", a.watch.mode, "interval", a.watch.interval.String(), "listen", a.watch.listen)
	if err := loop.Run(ctx); err != nil {
		return fail(e, err)
	}
	log.Info("stopped")
	return exitOK
}

// serve serves the health and metrics endpoints on addr, when set; the returned function stops it.
func serve(addr string, h http.Handler, log *slog.Logger) (func(), error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("health server", "error", err)
		}
	})
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		wg.Wait()
	}, nil
}

// pass is one reconcile pass: the apply flow on the specs as they are now, writing only when
// req.Write, with its output collected for the log instead of printed.
func pass(ctx context.Context, e *env, a applyArgs, db *jobdb.DB, req watch.Request) watch.Result {
	a.paths, a.planOnly = req.Paths, !req.Write
	diags := &lineWriter{}
	a.view = view.New(io.Discard, diags, view.Text, false)
	v := &passView{}
	err := applyFlow(ctx, e, &a, db, v)
	res := watch.Result{Changes: v.changes, Applied: v.applied, Reapply: v.reapply}
	var se specsError
	switch {
	case errors.As(err, &se):
		res.Status, res.Err, res.Diagnostics = watch.StatusInvalid, err, diags.lines
	case errors.Is(err, errReported):
		res.Status, res.Err = watch.StatusFailed, fmt.Errorf("apply failed, rolled back: %w", v.err)
	case err != nil:
		res.Status, res.Err = watch.StatusFailed, err
	}
	return res
}

// passView is the apply view of a watch pass: it keeps what the loop logs, and when the plan's
// schedules in local time must be applied again.
type passView struct {
	changes []string
	applied bool
	err     error
	reapply time.Time
}

func (v *passView) Plan(p *runner.Plan) error {
	for _, c := range p.Changes {
		v.changes = append(v.changes, change(c.Action, c.Kind, c.Name))
	}
	v.reapply = p.Reapply()
	return nil
}

func (v *passView) Done(rep *runner.Report) error {
	if rep != nil {
		v.applied, v.changes = true, nil
		for _, c := range rep.Applied { // a replanned apply did what it says, not what was planned
			v.changes = append(v.changes, change(c.Action, c.Kind, c.Name))
		}
		if rep.Plan != nil {
			v.reapply = rep.Plan.Reapply()
		}
	}
	return nil
}

func (v *passView) Failed(err error) { v.err = err }

// A pass never asks (--watch implies --yes) and shows no progress.
func (v *passView) Ask()              {}
func (v *passView) Canceled()         {}
func (v *passView) NeedsYes()         {}
func (v *passView) Progress(_, _ int) {}

// change is a change in a log line: "update job nightly".
func change(a runner.Action, kind, name string) string {
	return fmt.Sprintf("%s %s %s", a, runner.KindWord(kind), name)
}

// lineWriter keeps what is written to it, a line each.
type lineWriter struct{ lines []string }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.lines = append(w.lines, strings.Split(strings.TrimRight(string(p), "\n"), "\n")...)
	return len(p), nil
}
