package main

import (
	"context"
	"database/sql/driver"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// dbFlags are the flags of every command that talks to the job database.
type dbFlags struct {
	dsn     optionalString
	dsnFile optionalString
	scope   string
	timeout time.Duration // each operation
	total   time.Duration // the whole command; zero: no bound

	// Set by check: the address to open, and whether the embedded job database was chosen because
	// nothing named a job database.
	address  string
	implicit bool
}

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.dsn, "job-db", "job database `address`: sqlserver://…, azuresql://…?fedauth=…, or embedded:PATH\n(default $EJOPS_JOB_DB, else the embedded job database in "+jobdb.DefaultEmbeddedState+"\noutside CI)")
	fs.Var(&f.dsnFile, "job-db-file", "read the job database address from `FILE`, which keeps its password out of process\nlistings (default $EJOPS_JOB_DB_FILE)")
	fs.StringVar(&f.scope, "scope", "default", "ownership scope: only objects applied under this scope are ever deleted")
	fs.DurationVar(&f.timeout, "db-timeout", 2*time.Minute, "timeout of each job database operation (a read, a call)")
	fs.DurationVar(&f.total, "timeout", 0, "timeout of the whole command (default none)")
}

// optionalString is a string flag that knows whether it was given, even as "".
type optionalString struct {
	value string
	set   bool
}

func (o *optionalString) String() string     { return o.value }
func (o *optionalString) Set(v string) error { o.value, o.set = v, true; return nil }

// check rejects flag values that cannot work and picks the job database; it returns the usage exit
// code, or -1 to go on.
func (f *dbFlags) check(e *env) int {
	switch {
	case f.scope == "" || utf8.RuneCountInString(f.scope) > 128:
		return usageErrorf(e, "--scope must be 1 to 128 characters")
	case f.timeout <= 0:
		return usageErrorf(e, "--db-timeout must be positive")
	case f.total < 0:
		return usageErrorf(e, "--timeout must be positive, or 0 for none")
	}
	address, named, err := f.pickAddress(e)
	switch {
	case err != nil:
		return usageErrorf(e, "%v", err)
	case named:
		f.address = address
	case isCI(e):
		return usageErrorf(e, "no job database: set --job-db or EJOPS_JOB_DB (under CI the embedded job database is used only when named: --job-db embedded:%s)", jobdb.DefaultEmbeddedState)
	default:
		f.implicit = true
	}
	if err := jobdb.CheckAddress(f.address); err != nil {
		return usageErrorf(e, "%v", err)
	}
	return -1
}

// pickAddress returns the job database address named by, in order, --job-db, --job-db-file,
// EJOPS_JOB_DB or EJOPS_JOB_DB_FILE, and whether one was named. A source that is set but empty is an
// error (a missing CI secret must never mean the embedded job database), and so are both forms of
// one source at once. The file forms keep a password out of process listings.
func (f *dbFlags) pickAddress(e *env) (string, bool, error) {
	envValue, inEnv := e.lookupEnv("EJOPS_JOB_DB")
	envFile, inEnvFile := e.lookupEnv("EJOPS_JOB_DB_FILE")
	type source struct {
		name, value string
		set, file   bool
	}
	for _, pair := range [][2]source{
		{{"--job-db", f.dsn.value, f.dsn.set, false}, {"--job-db-file", f.dsnFile.value, f.dsnFile.set, true}},
		{{"EJOPS_JOB_DB", envValue, inEnv, false}, {"EJOPS_JOB_DB_FILE", envFile, inEnvFile, true}},
	} {
		if pair[0].set && pair[1].set {
			return "", false, fmt.Errorf("%s and %s are both set: give one", pair[0].name, pair[1].name)
		}
		for _, src := range pair {
			switch {
			case !src.set:
				continue
			case src.value == "":
				return "", false, fmt.Errorf("%s is set but empty (is a secret missing?): give a job database address, or embedded:PATH", src.name)
			case !src.file:
				return src.value, true, nil
			}
			b, err := e.readFile(src.value)
			if err != nil {
				return "", false, fmt.Errorf("%s: %w", src.name, err)
			}
			address := strings.TrimSpace(string(b))
			if address == "" {
				return "", false, fmt.Errorf("%s: %s is empty (is a secret missing?)", src.name, src.value)
			}
			return address, true, nil
		}
	}
	return "", false, nil
}

// isCI reports whether ejops runs in a CI system, which sets CI (GitHub Actions, GitLab, Azure
// Pipelines' TF_BUILD aside, and most others).
func isCI(e *env) bool {
	v, ok := e.lookupEnv("CI")
	return ok && v != "" && v != "false" && v != "0"
}

// embedded opens the in-process emulator: the same server the emulator command serves over TCP.
func embedded(path string) (driver.Connector, func() error, error) {
	em, conn, err := emulator.OpenEmbedded(path)
	if err != nil {
		return nil, nil, err
	}
	return conn, em.Close, nil
}

// open connects to the job database check picked, and says so when it is the embedded one chosen
// because nothing named a job database.
func (f *dbFlags) open(e *env) (*jobdb.DB, error) {
	db, err := jobdb.Open(f.address, embedded)
	if err != nil {
		return nil, err
	}
	db.OpTimeout = f.timeout
	if f.implicit {
		fmt.Fprintf(e.stderr, "ejops: using the embedded job database %s (set --job-db or EJOPS_JOB_DB for a real one)\n", db.Embedded)
	}
	return db, nil
}

// loadSpecs validates the specs as validate does, lint included, listing diagnostics on v's
// stderr. It fails when there are errors, or when pruning and no credential, target group or job
// was loaded (an empty or failed load, or one of an Agent alone, never prunes).
// errEmptyPrune refuses to prune when nothing was loaded: an empty or failed load never prunes.
var errEmptyPrune = errors.New("no Credential, TargetGroup or Job was loaded; refusing to prune everything (check the paths)")

func loadSpecs(v *view.View, paths []string, prune bool) (*spec.Set, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	set, diags := validate(paths)
	v.Diagnostics(diags)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%d error(s) in the specs; nothing was read or changed", diags.Count(spec.Error))
	}
	if prune && set.Objects() == 0 {
		return nil, errEmptyPrune
	}
	return set, nil
}

// outputFlags are the output flags of plan and apply.
type outputFlags struct {
	format  string
	noColor bool
}

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "text", "output format: text or json")
	fs.BoolVar(&o.noColor, "no-color", false, "never colour the output")
}

// view checks the flags and returns the view base they choose, or the usage exit code (else -1);
// more are the forms the command accepts besides text and JSON.
func (o *outputFlags) view(e *env, cmd string, more ...view.Format) (*view.View, int) {
	f, err := view.ParseFormat(o.format, append([]view.Format{view.Text, view.JSON}, more...)...)
	if err != nil {
		return nil, usageErrorf(e, "%s: %v", cmd, err)
	}
	return e.view(f, !o.noColor), -1
}

// openReading opens the job database and starts reading its live state (see readLive); the
// caller closes db and calls stop.
func (f *dbFlags) openReading(ctx context.Context, e *env) (db *jobdb.DB, wait func() (*jobdb.State, error), stop func(), err error) {
	db, err = f.open(e)
	if err != nil {
		return nil, nil, nil, err
	}
	wait, stop = readLive(ctx, db)
	return db, wait, stop, nil
}

// errCommandTimeout ends a command that ran longer than --timeout.
type errCommandTimeout struct{ after time.Duration }

func (e errCommandTimeout) Error() string {
	return fmt.Sprintf("ejops ran longer than --timeout %s; raise --timeout", e.after)
}

// bound limits ctx to --timeout, when it is set.
func (f *dbFlags) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.total == 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, f.total, errCommandTimeout{f.total})
}

// readLive starts reading the live state, so the read overlaps loading and linting the specs.
// wait returns the state; stop cancels a read still running and waits for it (defer it).
func readLive(ctx context.Context, db *jobdb.DB) (wait func() (*jobdb.State, error), stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var st *jobdb.State
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		st, err = db.Read(ctx)
	}()
	wait = func() (*jobdb.State, error) {
		<-done
		return st, err
	}
	stop = func() {
		cancel()
		<-done
	}
	return wait, stop
}

// isTerminal reports whether w is a terminal, for colour and prompts.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// fail reports an error and returns the failure exit code.
func fail(e *env, err error) int {
	fmt.Fprintf(e.stderr, "ejops: %s\n", view.Escape(withHint(err).Error()))
	return exitFailure
}

// withHint adds to an operation's timeout the flag that sets it.
func withHint(err error) error {
	var te *jobdb.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("%w (raise --db-timeout)", err)
	}
	return err
}
