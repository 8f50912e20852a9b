package tds

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("tds: server closed")

// Options configure a Server. The zero value is usable.
type Options struct {
	// Logger receives connection and request events (procedure names and sizes, never passwords or
	// parameter values). Nil discards them.
	Logger *slog.Logger
	// ServerName appears in ERROR and INFO tokens; default "ejops".
	ServerName string
	// MaxMessageSize bounds one client message after reassembly; default DefaultMaxMessageSize.
	MaxMessageSize int
	// LoginTimeout bounds the time from accept to a completed login; default 30 s.
	LoginTimeout time.Duration
	// NoLoginThrottle turns off the slowing down of clients after failed logins (see
	// loginThrottle), for a server whose logins fail by design, not by guessing.
	NoLoginThrottle bool
}

// Server is a TDS 7.4 server that passes logins and requests to a Handler. It is safe for
// concurrent use; each connection is served by its own goroutine.
type Server struct {
	h    Handler
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	lns    map[net.Listener]struct{}
	conns  map[*conn]struct{}
	closed bool
	done   chan struct{} // closed by Close
	wg     sync.WaitGroup

	connSeq atomic.Uint64
	tranSeq atomic.Uint64

	faults   faults
	stats    statsRegistry
	throttle *loginThrottle
}

// NewServer returns a server that authenticates and runs requests through h.
func NewServer(h Handler, opts Options) *Server {
	if opts.ServerName == "" {
		opts.ServerName = "ejops"
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.LoginTimeout <= 0 {
		opts.LoginTimeout = 30 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{h: h, opts: opts, log: log, lns: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{},
		done: make(chan struct{})}
	if !opts.NoLoginThrottle {
		s.throttle = newLoginThrottle()
	}
	s.faults.dropAfter = -1
	s.stats.conns = map[*conn]*Stats{}
	return s
}

// Serve accepts connections on ln until Close, serving each in its own goroutine. It returns
// ErrServerClosed after Close, or an error when ln is closed by someone else. Other accept errors,
// such as running out of file descriptors, are logged and retried after a pause that doubles from
// 5 ms to 1 s.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("accept: %w", err)
			}
			// Running out of file descriptors (EMFILE, ENFILE) or a connection aborted before it
			// was accepted passes: wait, as net/http does, and accept again.
			backoff = min(max(2*backoff, minAcceptBackoff), maxAcceptBackoff)
			s.log.Warn("tds: accept failed; retrying", "err", err, "in", backoff)
			if !s.sleep(backoff) {
				return ErrServerClosed
			}
			continue
		}
		backoff = 0
		go s.ServeConn(context.Background(), c)
	}
}

// The accept loop's wait after a failed Accept doubles from minAcceptBackoff to maxAcceptBackoff.
const (
	minAcceptBackoff = 5 * time.Millisecond
	maxAcceptBackoff = time.Second
)

// sleep waits for d, or less when the server is closed meanwhile; it reports whether the server
// is still open.
func (s *Server) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return !s.isClosed()
	case <-s.done:
		return false
	}
}

// ServeConn serves one client connection (for example one end of net.Pipe) until the client
// disconnects, ctx is done or the server is closed. It closes c before returning.
func (s *Server) ServeConn(ctx context.Context, c net.Conn) {
	cn := &conn{srv: s, nc: c, id: s.connSeq.Add(1), pktSize: 4096}
	cn.tran.next = func() uint64 { return s.tranSeq.Add(1) }
	cn.log = s.log.With("conn", cn.id, "remote", c.RemoteAddr().String())
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return
	}
	s.conns[cn] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	s.stats.add(cn)
	defer func() {
		c.Close()
		s.stats.remove(cn)
		s.mu.Lock()
		delete(s.conns, cn)
		s.mu.Unlock()
		s.wg.Done()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	cn.stop = cancel
	defer func() {
		if r := recover(); r != nil {
			cn.log.Error("tds: connection handler panicked", "panic", fmt.Sprint(r))
		}
	}()
	cn.serve(ctx)
}

// Close stops accepting connections and closes every live connection. It waits for the
// connections' goroutines to finish.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	var errs []error
	for ln := range s.lns {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return errors.Join(errs...)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// conn is one client connection.
type conn struct {
	srv     *Server
	nc      net.Conn
	id      uint64
	log     *slog.Logger
	pktSize int
	sess    Session
	tran    tranState
	stop    context.CancelFunc // ends the connection and cancels its running request

	// wmu orders writes and guards the attention state below.
	wmu     sync.Mutex
	running bool
	attn    bool
	cancel  context.CancelFunc
}

// request is a message handed from the reader goroutine to the request loop.
type request struct {
	msg    message
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *conn) serve(ctx context.Context) {
	br := bufio.NewReaderSize(c.nc, 8192)
	if !c.login(br) {
		return
	}
	defer c.sess.Close()

	reqs := make(chan request)
	go c.readLoop(ctx, br, reqs)
	for req := range reqs {
		if !c.handle(req) {
			return
		}
	}
}

// readLoop reads client messages. ATTENTION is handled here, so it can cancel a running request;
// every other message goes to the request loop.
func (c *conn) readLoop(ctx context.Context, br *bufio.Reader, reqs chan<- request) {
	defer close(reqs)
	for {
		msg, err := readMessage(br, c.pktSize, c.srv.opts.MaxMessageSize)
		if err != nil {
			c.logReadErr("request", err)
			c.stop()
			return
		}
		if msg.typ == pktAttn {
			c.attention()
			continue
		}
		rctx, cancel := context.WithCancel(ctx)
		c.wmu.Lock()
		c.running, c.attn, c.cancel = true, false, cancel
		c.wmu.Unlock()
		select {
		case reqs <- request{msg: msg, ctx: rctx, cancel: cancel}:
		case <-ctx.Done():
			cancel()
			return
		}
	}
}

// attention cancels the running request, or, if none is running, confirms at once.
func (c *conn) attention() {
	c.srv.stats.count(c, func(s *Stats) { s.Attentions++ })
	c.log.Debug("tds: attention")
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.running {
		c.attn = true
		c.cancel()
		return
	}
	var w tokenWriter
	w.done(tokDone, doneAttn, 0, 0)
	c.write(w.buf)
}

// write sends one reply message; the caller holds wmu.
func (c *conn) write(payload []byte) bool {
	if _, err := c.nc.Write(framePackets(pktReply, payload, c.pktSize)); err != nil {
		c.log.Debug("tds: write reply", "err", err)
		return false
	}
	return true
}

// handle runs one request and writes its reply; false ends the connection.
func (c *conn) handle(req request) bool {
	defer req.cancel()
	if c.srv.faults.shouldDrop() {
		c.log.Info("tds: dropping connection (fault injection)")
		c.stop()
		return false
	}
	msg := req.msg
	if msg.status&(statusResetConn|statusResetConnSkipT) != 0 {
		c.sess.Reset()
		c.tran.cur = 0
	}
	w := &tokenWriter{}
	enc := &replyEncoder{w: w, server: c.srv.opts.ServerName, tran: &c.tran}
	switch msg.typ {
	case pktSQLBatch:
		c.batch(req.ctx, msg.data, enc)
	case pktRPC:
		c.rpc(req.ctx, msg.data, enc)
	case pktTM:
		c.tm(req.ctx, msg.data, enc)
	default:
		c.log.Warn("tds: unexpected message type", "type", msg.typ)
		return false
	}
	if d := c.srv.faults.delay(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-req.ctx.Done():
			t.Stop()
		}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.running = false
	if c.attn {
		// Keep the reply's tokens (transaction changes included), then confirm the attention.
		if n := len(w.buf); n >= 13 {
			w.buf[n-12] |= doneMore
		}
		w.done(tokDone, doneAttn, 0, 0)
	}
	return c.write(w.buf)
}

func (c *conn) batch(ctx context.Context, data []byte, enc *replyEncoder) {
	c.srv.stats.count(c, func(s *Stats) { s.Requests++; s.Batches++ })
	text, err := parseBatch(data)
	if err != nil {
		c.log.Warn("tds: malformed batch", "err", err)
		enc.fail(streamError(err), false, true)
		return
	}
	c.log.Debug("tds: batch", "chars", len(text))
	rep := c.sess.Batch(ctx, text)
	c.logProcs(rep)
	enc.encodeReply(rep, false, nil, true)
}

func (c *conn) rpc(ctx context.Context, data []byte, enc *replyEncoder) {
	calls, err := parseRPC(data)
	c.srv.stats.count(c, func(s *Stats) {
		s.Requests++
		for _, call := range calls {
			if s.RPCs == nil {
				s.RPCs = map[string]int64{}
			}
			s.RPCs[call.Name]++
		}
	})
	if err != nil {
		c.log.Warn("tds: malformed rpc", "err", err)
		enc.fail(streamError(err), true, true)
		return
	}
	for i, call := range calls {
		last := i == len(calls)-1
		if call.Err != nil {
			c.log.Warn("tds: malformed rpc parameters", "proc", call.Name, "err", call.Err)
			enc.fail(streamError(call.Err), true, true)
			return
		}
		c.log.Debug("tds: rpc", "proc", call.Name, "params", len(call.Params), "bytes", len(data))
		rep := c.sess.RPC(ctx, call.Name, call.Params)
		if strings.HasSuffix(strings.ToLower(call.Name), "sp_executesql") {
			c.logProcs(rep)
		}
		enc.encodeReply(rep, true, call.Params, last)
	}
}

// logProcs logs the procedures a batch or an sp_executesql request ran by EXEC, by name with
// their counts (never the statements, which may hold secrets).
func (c *conn) logProcs(rep sqlval.Reply) {
	if len(rep.Procs) == 0 || !c.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	names := make([]string, 0, len(rep.Procs))
	for name, n := range rep.Procs {
		names = append(names, fmt.Sprintf("%s=%d", name, n))
	}
	sort.Strings(names)
	c.log.Debug("tds: procedures run", "calls", strings.Join(names, " "))
}

func (c *conn) tm(ctx context.Context, data []byte, enc *replyEncoder) {
	c.srv.stats.count(c, func(s *Stats) { s.Requests++; s.Transactions++ })
	t, err := parseTM(data)
	if err != nil {
		c.log.Warn("tds: malformed transaction request", "err", err)
		enc.fail(streamError(err), false, true)
		return
	}
	c.log.Debug("tds: transaction request", "type", t.Type)
	w := enc.w
	switch t.Type {
	case tmBeginXact:
		desc, serr := c.sess.Begin(ctx, t.Isolation)
		if serr != nil {
			enc.fail(serr, false, true)
			return
		}
		if desc == 0 {
			desc = c.tran.next()
		}
		c.tran.cur = desc
		w.tranEnv(envBeginTran, desc)
	case tmCommitXact, tmRollbackXact:
		var serr *sqlval.Error
		typ := byte(envCommitTran)
		if t.Type == tmCommitXact {
			serr = c.sess.Commit(ctx)
		} else {
			typ = envRollback
			serr = c.sess.Rollback(ctx)
		}
		if serr != nil {
			enc.fail(serr, false, true)
			return
		}
		if c.tran.cur != 0 {
			w.tranEnv(typ, c.tran.cur)
			c.tran.cur = 0
		}
		if t.Flags&1 != 0 {
			desc, serr := c.sess.Begin(ctx, t.Isolation)
			if serr != nil {
				enc.fail(serr, false, true)
				return
			}
			if desc == 0 {
				desc = c.tran.next()
			}
			c.tran.cur = desc
			w.tranEnv(envBeginTran, desc)
		}
	case tmPromoteXact:
		enc.fail(&sqlval.Error{Number: 8509, State: 1, Class: 16,
			Message: "Distributed transactions are not supported."}, false, true)
		return
	default:
		enc.fail(&sqlval.Error{Number: 8509, State: 1, Class: 16,
			Message: "Transaction manager request " + strconv.Itoa(int(t.Type)) + " is not supported."}, false, true)
		return
	}
	w.done(tokDone, doneFinal, 0, 0)
}

// streamError is the error reply for a request the server could not decode.
func streamError(err error) *sqlval.Error {
	var ut *UnsupportedTypeError
	var pe *ParamError
	if errors.As(err, &ut) && errors.As(err, &pe) {
		return &sqlval.Error{Number: 8009, State: 1, Class: 16, Message: fmt.Sprintf(
			"The incoming tabular data stream (TDS) remote procedure call (RPC) protocol stream is incorrect. Parameter %d (%q): Data type 0x%02X is unknown.",
			pe.Ordinal, pe.Name, ut.TypeID)}
	}
	return &sqlval.Error{Number: 8016, State: 1, Class: 16, Message: fmt.Sprintf(
		"The incoming tabular data stream (TDS) protocol stream is incorrect: %v.", err)}
}
