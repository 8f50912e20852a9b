package targetdb

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"

	"github.com/ejops/ejops/emulator/internal/agent"
	"github.com/ejops/ejops/emulator/internal/sqlval"
	"github.com/ejops/ejops/emulator/internal/tds"
)

// Servers serves the fleet's logical servers over TDS, one listener each.
type Servers struct {
	list []*server
	wg   sync.WaitGroup
}

// server is one served logical server; it implements tds.Handler.
type server struct {
	name string // as the fleet declared it when serving began
	dbs  *Databases
	ln   *dropListener
	srv  *tds.Server
}

// Serve listens on 127.0.0.1 (a port chosen by the system) for each server of the current fleet
// and serves its databases from dbs until Close.
func Serve(dbs *Databases, logger *slog.Logger) (*Servers, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ss := &Servers{}
	f := dbs.fleet()
	if f == nil {
		return ss, nil
	}
	for _, fs := range f.Servers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ss.Close()
			return nil, fmt.Errorf("listen for server %s: %w", fs.Name, err)
		}
		s := &server{name: fs.Name, dbs: dbs}
		s.ln = &dropListener{Listener: ln, drop: s.unreachable}
		s.srv = tds.NewServer(s, tds.Options{Logger: logger.With("server", fs.Name), ServerName: serverShortName(fs.Name), NoLoginThrottle: true})
		ss.list = append(ss.list, s)
		ss.wg.Add(1)
		go func() {
			defer ss.wg.Done()
			if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, tds.ErrServerClosed) {
				logger.Error("serve target server", "server", s.name, "err", err)
			}
		}()
		logger.Info("serving target server", "server", fs.Name, "addr", ln.Addr().String())
	}
	return ss, nil
}

// Addr returns the address of the server named name (case-insensitive, with or without the
// .database.windows.net suffix), or nil.
func (ss *Servers) Addr(name string) net.Addr {
	for _, s := range ss.list {
		if agent.SameServer(s.name, name) {
			return s.ln.Addr()
		}
	}
	return nil
}

// Map is the address map of every served server: name=host:port pairs joined by commas, as
// EJOPS_TARGET_MAP takes them.
func (ss *Servers) Map() string {
	pairs := make([]string, len(ss.list))
	for i, s := range ss.list {
		pairs[i] = s.name + "=" + s.ln.Addr().String()
	}
	return strings.Join(pairs, ",")
}

// Close stops every server and closes its connections.
func (ss *Servers) Close() error {
	var errs []error
	for _, s := range ss.list {
		errs = append(errs, s.srv.Close())
	}
	ss.wg.Wait()
	return errors.Join(errs...)
}

// unreachable reports whether the current fleet declares the server unreachable.
func (s *server) unreachable() bool {
	fs := s.dbs.fleet().Server(s.name)
	return fs != nil && fs.Unreachable
}

// Login opens a session on the login's database (master when empty). The password is not
// checked. [I]
func (s *server) Login(user, _, database string) (tds.Session, *sqlval.Error) {
	fs := s.dbs.fleet().Server(s.name)
	if fs == nil {
		// [I] Msg 40532, Azure SQL Database's error for a login to a server it does not know: the
		// server left the fleet after serving began.
		e := sqlval.Errorf(40532, "Cannot open server \"%s\" requested by the login. The login failed.", serverShortName(s.name))
		e.Class = 20
		return nil, e
	}
	if database == "" {
		database = Master
	}
	d, _, found := fs.Database(database)
	switch {
	case !found && !strings.EqualFold(database, Master):
		e := sqlval.Errorf(4060, "Cannot open database \"%s\" requested by the login. The login failed.", database)
		e.Class = 11
		return nil, e
	case found && !d.HasLogin(user):
		e := sqlval.Errorf(18456, "Login failed for user '%s'.", user)
		e.Class = 14
		return nil, e
	}
	db, err := s.dbs.open(fs, database)
	if err != nil {
		return nil, err
	}
	return db.handler.NewSession(user), nil
}

// dropListener accepts connections and, while drop reports true, keeps them open without a
// word, as a firewall that drops packets would: clients time out. A kept connection is closed
// when the client closes it or the listener closes.
type dropListener struct {
	net.Listener
	drop func() bool

	mu     sync.Mutex
	kept   map[net.Conn]struct{}
	closed bool
}

func (l *dropListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.drop() {
			return c, err
		}
		l.keep(c)
	}
}

func (l *dropListener) keep(c net.Conn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		c.Close()
		return
	}
	if l.kept == nil {
		l.kept = map[net.Conn]struct{}{}
	}
	l.kept[c] = struct{}{}
	l.mu.Unlock()
	go func() {
		_, _ = io.Copy(io.Discard, c)
		c.Close()
		l.mu.Lock()
		delete(l.kept, c)
		l.mu.Unlock()
	}()
}

func (l *dropListener) Close() error {
	l.mu.Lock()
	l.closed = true
	for c := range l.kept {
		c.Close()
	}
	l.mu.Unlock()
	return l.Listener.Close()
}
