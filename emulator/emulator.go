package emulator

import (
	"context"
	"crypto/rand"
	"database/sql/driver"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ejops/ejops/emulator/internal/agent"
	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlexec"
	"github.com/ejops/ejops/emulator/internal/sqlval"
	"github.com/ejops/ejops/emulator/internal/targetdb"
	"github.com/ejops/ejops/emulator/internal/tds"
)

// Database is the name of the emulated job database.
const Database = "jobdb"

// DefaultUser is the login name when Options.User is empty.
const DefaultUser = "ejops"

// Login is a login the emulator serves, with the role of its database user.
type Login = sqlexec.Login

// The roles of a Login: the job database's administrator, and the documented roles jobs_admin
// (reads the views, executes the jobs procedures) and jobs_reader (reads the views).
const (
	RoleOwner  = sqlexec.RoleOwner
	RoleAdmin  = sqlexec.RoleAdmin
	RoleReader = sqlexec.RoleReader
)

// IsRole reports whether role is one of RoleOwner, RoleAdmin and RoleReader.
func IsRole(role string) bool { return sqlexec.IsRole(role) }

// DefaultServerName is the server name when Options.ServerName is empty.
const DefaultServerName = sqlexec.DefaultServerName

// Options configures an Emulator.
type Options struct {
	User      string           // login name; default DefaultUser
	Password  string           // login password; a random one when empty (see Password)
	StatePath string           // state file; "" keeps the job database in memory
	Logger    *slog.Logger     // connection and request events; nil discards them
	Now       func() time.Time // clock of the job database; default the agent's Clock
	Fleet     string           // fleet file of the agent simulation, reloaded when it changes; "" for none
	Clock     agent.Clock      // clock of the agent simulation; default the real clock

	// ServerName is what @@SERVERNAME answers and the server that error messages name; default
	// DefaultServerName.
	ServerName string
	// Logins are more logins, each with its role (RoleOwner, RoleAdmin or RoleReader); LoginDSN
	// connects as one of them.
	Logins []Login

	// NoSchedules keeps the agent simulation from firing job schedules; executions started by
	// sp_start_job still run. A short-lived CLI process (plan, apply …) is not a resident agent
	// and sets it, so reading the job database never starts scheduled runs; `ejops emulator`
	// leaves it off and fires schedules.
	NoSchedules bool

	// ServeTargets serves every server of the fleet over TDS, each on its own port of 127.0.0.1
	// (see TargetMap), answering logins to its databases and the catalog queries that resolve
	// servers and elastic pools into databases. It needs a Fleet.
	ServeTargets bool
}

// Emulator is a running job-database emulator.
type Emulator struct {
	user     string
	password string
	logins   []Login // Options.Logins
	db       *jobstore.DB
	handler  *sqlexec.Handler
	srv      *tds.Server
	logger   *slog.Logger
	agent    *agent.Agent
	fleet    string
	stop     context.CancelFunc
	targets  *targetdb.Databases // the fleet databases' contents; nil without a fleet
	servers  *targetdb.Servers   // Options.ServeTargets; nil when off

	mu        sync.Mutex
	listeners []net.Listener
	closed    bool
	serving   sync.WaitGroup
}

// New opens the job database (loading StatePath when it exists) and prepares the server.
func New(opts Options) (*Emulator, error) {
	if opts.User == "" {
		opts.User = DefaultUser
	}
	if opts.Password == "" {
		p, err := RandomPassword()
		if err != nil {
			return nil, err
		}
		opts.Password = p
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for _, l := range opts.Logins {
		if l.Name == "" || l.Password == "" || !IsRole(l.Role) {
			return nil, fmt.Errorf("login %q: a login needs a name, a password and a role (%s, %s or %s)", l.Name, RoleOwner, RoleAdmin, RoleReader)
		}
	}
	if opts.Clock == nil {
		opts.Clock = agent.RealClock{}
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return opts.Clock.Now().UTC().Truncate(100 * time.Nanosecond) }
	}
	if opts.ServeTargets && opts.Fleet == "" {
		return nil, errors.New("serving the fleet's servers needs a fleet file")
	}
	var fleet *agent.Fleet
	if opts.Fleet != "" {
		f, err := agent.LoadFleet(opts.Fleet)
		if err != nil {
			return nil, err
		}
		fleet = f
	}
	db, err := jobstore.Open(jobstore.Options{Now: opts.Now, StatePath: opts.StatePath, Database: Database})
	if err != nil {
		return nil, fmt.Errorf("open job database: %w", err)
	}
	agentOpts := agent.Options{Fleet: fleet, Clock: opts.Clock, Logger: logger.With("component", "agent"),
		NoSchedules: opts.NoSchedules}
	var ag *agent.Agent
	var targets *targetdb.Databases
	if opts.Fleet != "" {
		targets = targetdb.New(func() *agent.Fleet { return ag.Fleet() }, opts.Now)
		agentOpts.Executor = targets
	}
	ag = agent.New(db, agentOpts)
	if opts.ServerName == "" {
		opts.ServerName = DefaultServerName
	}
	h := sqlexec.NewHandler(db, sqlexec.Options{User: opts.User, Password: opts.Password, Database: Database, Now: opts.Now,
		ServerName: opts.ServerName, Logins: opts.Logins})
	e := &Emulator{
		user:     opts.User,
		password: opts.Password,
		logins:   opts.Logins,
		db:       db,
		handler:  h,
		srv:      tds.NewServer(h, tds.Options{Logger: logger, ServerName: opts.ServerName}),
		logger:   logger,
		agent:    ag,
		fleet:    opts.Fleet,
		targets:  targets,
	}
	if opts.ServeTargets {
		servers, err := targetdb.Serve(e.targets, logger.With("component", "targets"))
		if err != nil {
			e.targets.Close()
			db.Close()
			return nil, err
		}
		e.servers = servers
	}
	ctx, stop := context.WithCancel(context.Background())
	e.stop = stop
	e.serving.Add(1)
	go func() {
		defer e.serving.Done()
		if err := e.agent.Run(ctx); err != nil && ctx.Err() == nil {
			logger.Error("agent", "err", err)
		}
	}()
	if opts.Fleet != "" {
		e.serving.Add(1)
		go func() {
			defer e.serving.Done()
			if err := agent.WatchFleet(ctx, opts.Fleet, e.agent); err != nil && ctx.Err() == nil {
				logger.Error("watch fleet", "file", opts.Fleet, "err", err)
			}
		}()
	}
	return e, nil
}

// Agent is the agent simulation, for tests that drive its clock.
func (e *Emulator) Agent() *agent.Agent { return e.agent }

// ReloadFleet reads the fleet file again; an invalid file keeps the fleet in use.
func (e *Emulator) ReloadFleet() error {
	if e.fleet == "" {
		return errors.New("the emulator runs without a fleet file")
	}
	f, err := agent.LoadFleet(e.fleet)
	if err != nil {
		return err
	}
	e.agent.SetFleet(f)
	return nil
}

// TargetMap is the address map of the fleet's servers served with Options.ServeTargets, as
// EJOPS_TARGET_MAP takes it: name=host:port pairs joined by commas; "" when they are not served.
// Servers added to the fleet later are not served.
func (e *Emulator) TargetMap() string {
	if e.servers == nil {
		return ""
	}
	return e.servers.Map()
}

// TargetAddr returns the address of the fleet server named name (case-insensitive, with or
// without the .database.windows.net suffix) served with Options.ServeTargets, or nil.
func (e *Emulator) TargetAddr(name string) net.Addr {
	if e.servers == nil {
		return nil
	}
	return e.servers.Addr(name)
}

// RandomPassword returns a fresh random password for the emulator's login.
func RandomPassword() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// User is the login name clients use.
func (e *Emulator) User() string { return e.user }

// Password is the login password clients use.
func (e *Emulator) Password() string { return e.password }

// Listen listens on addr (for example "127.0.0.1:0") and serves connections in the background
// until Close. It returns the bound address.
func (e *Emulator) Listen(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		ln.Close()
		return nil, errors.New("emulator is closed")
	}
	e.listeners = append(e.listeners, ln)
	e.serving.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.serving.Done()
		if err := e.srv.Serve(ln); err != nil && !errors.Is(err, tds.ErrServerClosed) {
			e.logger.Error("serve", "addr", ln.Addr().String(), "err", err)
		}
	}()
	e.logger.Info("listening", "addr", ln.Addr().String())
	return ln.Addr(), nil
}

// Serve serves connections from ln until Close or a listener error.
func (e *Emulator) Serve(ln net.Listener) error {
	err := e.srv.Serve(ln)
	if errors.Is(err, tds.ErrServerClosed) {
		return nil
	}
	return err
}

// DSN returns the go-mssqldb connection string for a server listening on addr.
func (e *Emulator) DSN(addr net.Addr) string { return dsn(e.user, e.password, addr) }

// LoginDSN returns the connection string of the login of Options.Logins named name, or "" when
// there is none.
func (e *Emulator) LoginDSN(name string, addr net.Addr) string {
	for _, l := range e.logins {
		if strings.EqualFold(l.Name, name) {
			return dsn(l.Name, l.Password, addr)
		}
	}
	return ""
}

func dsn(user, password string, addr net.Addr) string {
	u := url.URL{
		Scheme:   "sqlserver",
		User:     url.UserPassword(user, password),
		Host:     addr.String(),
		RawQuery: "database=" + Database + "&encrypt=disable",
	}
	return u.String()
}

// Connector returns a go-mssqldb connector that talks to the emulator in process, through
// net.Pipe, without any port.
func (e *Emulator) Connector() (driver.Connector, error) {
	u := url.URL{
		Scheme:   "sqlserver",
		User:     url.UserPassword(e.user, e.password),
		Host:     "emulator",
		RawQuery: "database=" + Database + "&encrypt=disable",
	}
	c, err := mssql.NewConnector(u.String())
	if err != nil {
		return nil, fmt.Errorf("create connector: %w", err)
	}
	c.Dialer = pipeDialer{e}
	return c, nil
}

// pipeDialer connects go-mssqldb to the emulator through net.Pipe.
type pipeDialer struct{ e *Emulator }

func (d pipeDialer) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	d.e.mu.Lock()
	closed := d.e.closed
	if !closed {
		d.e.serving.Add(1)
	}
	d.e.mu.Unlock()
	if closed {
		return nil, errors.New("emulator is closed")
	}
	client, server := net.Pipe()
	go func() {
		defer d.e.serving.Done()
		d.e.srv.ServeConn(context.Background(), server)
	}()
	return client, nil
}

func (pipeDialer) HostName() string { return "emulator" }

// Close stops serving, closes every connection and the job database.
func (e *Emulator) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.stop()
	errs := []error{e.srv.Close()}
	if e.servers != nil {
		errs = append(errs, e.servers.Close())
	}
	e.serving.Wait()
	if e.targets != nil {
		errs = append(errs, e.targets.Close())
	}
	errs = append(errs, e.db.Close())
	return errors.Join(errs...)
}

// DropAfter closes the connection of the request that follows the next n requests, without
// running or answering it; n < 0 disarms the fault.
func (e *Emulator) DropAfter(n int) { e.srv.DropAfter(n) }

// SetDelay delays every reply by d; 0 disables the delay.
func (e *Emulator) SetDelay(d time.Duration) { e.srv.SetDelay(d) }

// FailNextCommit makes the next transaction commit fail and roll back.
func (e *Emulator) FailNextCommit() {
	e.db.FailNextCommit(&sqlval.Error{Number: 3998, Class: 16, State: 1,
		Message: "Uncommittable transaction is detected at the end of the batch. The transaction is rolled back."})
}

// Stats are the emulator's counters since the last ResetStats.
type Stats struct {
	RoundTrips int64          // requests over all connections, closed ones included
	Conns      []ConnStats    // live connections
	Procs      map[string]int // procedure calls by lower-case name with schema, RPC and EXEC alike
}

// ConnStats counts one live connection's round trips.
type ConnStats struct {
	ID         uint64
	Remote     string
	RoundTrips int64
}

// Stats returns a snapshot of the counters.
func (e *Emulator) Stats() Stats {
	ss := e.srv.Stats()
	st := Stats{RoundTrips: ss.Total.Requests, Procs: e.handler.Calls()}
	for _, c := range ss.Conns {
		st.Conns = append(st.Conns, ConnStats{ID: c.ID, Remote: c.Remote, RoundTrips: c.Requests})
	}
	return st
}

// AwaitCalls waits until proc (lower case, with its schema, as Stats.Procs counts it) has been
// called n times since the last ResetStats, or ctx ends. A call counts as soon as the procedure
// starts, so a test sees a session waiting in sp_getapplock ("sys.sp_getapplock") for a lock held
// elsewhere without sleeping for a guessed time.
func (e *Emulator) AwaitCalls(ctx context.Context, proc string, n int) error {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for e.handler.Calls()[proc] < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s called %d times, waiting for %d: %w", proc, e.handler.Calls()[proc], n, context.Cause(ctx))
		case <-tick.C:
		}
	}
	return nil
}

// ResetStats zeroes the counters.
func (e *Emulator) ResetStats() {
	e.srv.ResetStats()
	e.handler.ResetCalls()
}

// OpenEmbedded opens the embedded job database persisted at statePath and returns a connector
// to it; the CLI uses it when no job database is configured. Close the Emulator when done.
// A fleet.yaml beside the state file feeds the agent simulation, which runs the executions
// started while the process lives but fires no schedules (Options.NoSchedules): the process is
// not a resident agent.
func OpenEmbedded(statePath string) (*Emulator, driver.Connector, error) {
	if err := makeStateFolder(filepath.Dir(statePath)); err != nil {
		return nil, nil, err
	}
	opts := Options{StatePath: statePath, NoSchedules: true}
	if fleet := filepath.Join(filepath.Dir(statePath), "fleet.yaml"); fileExists(fleet) {
		opts.Fleet = fleet
	}
	e, err := New(opts)
	if err != nil {
		return nil, nil, err
	}
	// An Azure job database gets its master key once from its administrator; the embedded one
	// has no administrator, so it makes its own, and credentials work out of the box.
	sess := e.db.NewSession()
	defer sess.Close()
	pw, err := RandomPassword()
	if err != nil {
		e.Close()
		return nil, nil, err
	}
	if merr := sess.CreateMasterKey(pw); merr != nil && merr.Number != 15578 { // 15578: it has one
		e.Close()
		return nil, nil, fmt.Errorf("create the master key: %w", merr)
	}
	c, err := e.Connector()
	if err != nil {
		e.Close()
		return nil, nil, err
	}
	return e, c, nil
}

// makeStateFolder creates the folder of an embedded state file. A folder it creates, and any folder
// named .ejops, gets a .gitignore that ignores everything in it, so the state and its key file are
// never committed.
func makeStateFolder(dir string) error {
	created := !fileExists(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	ignore := filepath.Join(dir, ".gitignore")
	if (created || filepath.Base(dir) == ".ejops") && !fileExists(ignore) {
		if err := os.WriteFile(ignore, []byte("# Written by ejops: the embedded job database's state and key stay out of git.\n*\n"), 0o644); err != nil {
			return fmt.Errorf("create %s: %w", ignore, err)
		}
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
