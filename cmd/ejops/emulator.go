package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ejops/ejops/emulator"
)

func init() {
	commands["emulator"] = command{summary: "serve the job-database emulator over TDS", run: runEmulator, interruptible: true}
}

// emulatorArgs are the parsed flags of ejops emulator.
type emulatorArgs struct {
	listen   string
	state    string
	user     string
	password string
	fleet    string
	logins   []emulator.Login
	targets  bool // --serve-targets
}

// loginsFlag collects --login NAME:PASSWORD:ROLE flags unchecked: a Set error would print the
// value, password included.
type loginsFlag []string

func (f *loginsFlag) String() string { return "" }

func (f *loginsFlag) Set(v string) error { *f = append(*f, v); return nil }

// parseLogin reads NAME:PASSWORD:ROLE; the password may hold colons. Its errors never show the
// password.
func parseLogin(v string) (emulator.Login, error) {
	name, rest, ok1 := strings.Cut(v, ":")
	i := strings.LastIndexByte(rest, ':')
	if !ok1 || i < 0 || name == "" || i == 0 {
		return emulator.Login{}, fmt.Errorf("a login is NAME:PASSWORD:ROLE")
	}
	l := emulator.Login{Name: name, Password: rest[:i], Role: rest[i+1:]}
	if !emulator.IsRole(l.Role) {
		return emulator.Login{}, fmt.Errorf("login %s: role %q is not %s, %s or %s", name, l.Role, emulator.RoleOwner, emulator.RoleAdmin, emulator.RoleReader)
	}
	return l, nil
}

// readUsers reads a --users file: one NAME:PASSWORD:ROLE a line; blank lines and lines starting
// with # are skipped.
func readUsers(e *env, path string) ([]emulator.Login, error) {
	b, err := e.readFile(path)
	if err != nil {
		return nil, err
	}
	var out []emulator.Login
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		l, err := parseLogin(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n+1, err)
		}
		out = append(out, l)
	}
	return out, nil
}

func parseEmulatorArgs(e *env, args []string) (emulatorArgs, int) {
	fs := newFlags(e, "emulator", "[--listen ADDR] [--state FILE] [--fleet FILE [--serve-targets]] [--user U] [--password-file FILE] [--users FILE] [--login NAME:PASSWORD:ROLE]...",
		`  ejops emulator
  ejops emulator --listen 127.0.0.1:14330 --state .ejops/jobdb.json --fleet examples/fleet.yaml
  ejops emulator --fleet examples/fleet.yaml --serve-targets   # also prints EJOPS_TARGET_MAP=...
  ejops emulator --user admin --password-file /run/secrets/emulator-password
  ejops emulator --users /run/secrets/emulator-users   # lines such as reporting:S3cret!:jobs_reader`)
	var a emulatorArgs
	fs.StringVar(&a.listen, "listen", "127.0.0.1:1433", "TCP `address` to serve TDS on")
	fs.StringVar(&a.state, "state", "", "state `file` to load and persist (default: in memory)")
	fs.StringVar(&a.user, "user", emulator.DefaultUser, "login `name`")
	fs.StringVar(&a.password, "password", "", "login `password` (default: $EJOPS_EMULATOR_PASSWORD, else random and printed in the DSN;\na chosen password is shown as xxxxx); prefer --password-file, which ps does not show")
	passwordFile := fs.String("password-file", "", "read the login password from `FILE`")
	fs.StringVar(&a.fleet, "fleet", "", "fleet `file` of simulated servers, pools and databases that started jobs run on\n(reloaded when it changes or on SIGHUP; see examples/fleet.yaml)")
	fs.BoolVar(&a.targets, "serve-targets", false, "serve each fleet server over TDS on a port of 127.0.0.1 (logins to its databases, the catalog\nqueries of ejops targets) and print the EJOPS_TARGET_MAP=... line that routes its name there")
	var logins loginsFlag
	fs.Var(&logins, "login", "serve one more login `NAME:PASSWORD:ROLE`, ROLE one of owner, jobs_admin and jobs_reader\n(repeatable); prefer --users, which ps does not show")
	usersFile := fs.String("users", "", "read more logins from `FILE`, one NAME:PASSWORD:ROLE a line (# starts a comment line)")
	if code := parseFlags(fs, args); code >= 0 {
		return a, code
	}
	if fs.NArg() > 0 {
		return a, usageErrorf(e, "emulator takes no arguments")
	}
	if a.targets && a.fleet == "" {
		return a, usageErrorf(e, "emulator: --serve-targets needs --fleet")
	}
	if *passwordFile != "" {
		if a.password != "" {
			return a, usageErrorf(e, "emulator: --password and --password-file are both set: give one")
		}
		b, err := e.readFile(*passwordFile)
		if err != nil {
			return a, usageErrorf(e, "emulator: --password-file: %v", err)
		}
		if a.password = strings.TrimRight(string(b), "\r\n"); a.password == "" {
			return a, usageErrorf(e, "emulator: --password-file: %s is empty", *passwordFile)
		}
	}
	if a.password == "" {
		a.password = e.getenv("EJOPS_EMULATOR_PASSWORD")
	}
	for _, v := range logins {
		l, err := parseLogin(v)
		if err != nil {
			return a, usageErrorf(e, "emulator: --login: %v", err)
		}
		a.logins = append(a.logins, l)
	}
	if *usersFile != "" {
		ls, err := readUsers(e, *usersFile)
		if err != nil {
			return a, usageErrorf(e, "emulator: --users: %v", err)
		}
		a.logins = append(a.logins, ls...)
	}
	return a, -1
}

func runEmulator(ctx context.Context, e *env, args []string) int {
	a, code := parseEmulatorArgs(e, args)
	if code >= 0 {
		return code
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	em, err := emulator.New(emulator.Options{User: a.user, Password: a.password, StatePath: a.state, Fleet: a.fleet, Logger: logger, Logins: a.logins, ServeTargets: a.targets})
	if err != nil {
		fmt.Fprintf(e.stderr, "ejops: %v\n", err)
		return exitFailure
	}
	addr, err := em.Listen(a.listen)
	if err != nil {
		em.Close()
		fmt.Fprintf(e.stderr, "ejops: %v\n", err)
		return exitFailure
	}
	// A password the user chose is theirs to know: the printed DSN hides it (it would land in CI
	// logs); a generated one is printed, since there is no other way to learn it.
	dsn := em.DSN(addr)
	if a.password != "" {
		if u, err := url.Parse(dsn); err == nil {
			dsn = u.Redacted()
		}
	}
	fmt.Fprintln(e.stdout, dsn)
	if a.targets {
		fmt.Fprintf(e.stdout, "EJOPS_TARGET_MAP=%s\n", em.TargetMap())
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for ctx.Err() == nil {
		select {
		case <-hup:
			if err := em.ReloadFleet(); err != nil {
				logger.Error("reload fleet", "err", err)
			} else {
				logger.Info("fleet reloaded", "file", a.fleet)
			}
		case <-ctx.Done():
		}
	}
	logger.Info("shutting down")
	if err := em.Close(); err != nil {
		fmt.Fprintf(e.stderr, "ejops: close emulator: %v\n", err)
		return exitFailure
	}
	return exitOK
}
