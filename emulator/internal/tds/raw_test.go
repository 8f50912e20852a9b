package tds

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// buildLogin7 builds a LOGIN7 message like go-mssqldb's.
func buildLogin7(user, password, db string, packetSize uint32) []byte {
	fields := []struct {
		at  int
		val []byte
	}{
		{36, appendUCS2(nil, "host")},
		{40, appendUCS2(nil, user)},
		{44, manglePassword(appendUCS2(nil, password))},
		{48, appendUCS2(nil, "rawtest")},
		{52, appendUCS2(nil, "server")},
		{60, appendUCS2(nil, "go-mssqldb")},
		{68, appendUCS2(nil, db)},
	}
	b := make([]byte, login7FixedLen)
	binary.LittleEndian.PutUint32(b[4:], tdsVersion74)
	binary.LittleEndian.PutUint32(b[8:], packetSize)
	b[24], b[25] = 0xA0, 0x02
	for _, off := range []int{36, 40, 44, 48, 52, 56, 60, 64, 68, 78, 82, 86} {
		binary.LittleEndian.PutUint16(b[off:], uint16(len(b)))
	}
	for _, f := range fields {
		binary.LittleEndian.PutUint16(b[f.at:], uint16(len(b)))
		binary.LittleEndian.PutUint16(b[f.at+2:], uint16(len(f.val)/2))
		b = append(b, f.val...)
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

func manglePassword(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = (c<<4 | c>>4) ^ 0xA5
	}
	return out
}

// buildPrelogin builds a PRELOGIN message with the given encryption byte.
func buildPrelogin(encrypt byte) []byte {
	return []byte{
		0, 0, 11, 0, 6, // VERSION at 11, 6 bytes
		1, 0, 17, 0, 1, // ENCRYPTION at 17
		0xFF,
		1, 2, 3, 4, 0, 0,
		encrypt,
	}
}

func allHeaders(tran uint64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 22)
	b = binary.LittleEndian.AppendUint32(b, 18)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint64(b, tran)
	return binary.LittleEndian.AppendUint32(b, 1)
}

// rpcByName appends a call header (name, option flags) to b.
func rpcByName(b []byte, name string) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(sqlval.CharLen(name)))
	b = appendUCS2(b, name)
	return binary.LittleEndian.AppendUint16(b, 0)
}

// intParam appends an INTN(8) parameter.
func intParam(b []byte, name string, v int64) []byte {
	b = append(b, byte(sqlval.CharLen(name)))
	b = appendUCS2(b, name)
	b = append(b, 0, typeIntN, 8, 8)
	return binary.LittleEndian.AppendUint64(b, uint64(v))
}

type rawClient struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, c: c, br: bufio.NewReader(c)}
}

func (r *rawClient) send(typ, status byte, payload []byte) {
	r.t.Helper()
	b := framePackets(typ, payload, 4096)
	b[1] |= status
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawClient) login(password string) []token {
	r.t.Helper()
	r.send(pktPrelogin, 0, buildPrelogin(encryptNotSup))
	r.reply()
	r.send(pktLogin7, 0, buildLogin7("jobuser", password, "jobdb", 4096))
	return r.tokens()
}

func (r *rawClient) reply() message {
	r.t.Helper()
	m, err := readMessage(r.br, 0xFFFF, 1<<24)
	if err != nil {
		r.t.Fatalf("read reply: %v", err)
	}
	if m.typ != pktReply {
		r.t.Fatalf("reply type %d", m.typ)
	}
	return m
}

// token is one decoded reply token: its id and, for DONE tokens, status and row count; for ERROR
// tokens the error number.
type token struct {
	id     byte
	status uint16
	count  uint64
	number int32
}

func (t token) String() string {
	switch t.id {
	case tokDone, tokDoneProc, tokDoneInProc:
		return fmt.Sprintf("%02X(%#x,%d)", t.id, t.status, t.count)
	case tokError:
		return fmt.Sprintf("ERR(%d)", t.number)
	}
	return fmt.Sprintf("%02X", t.id)
}

// tokens reads one reply and decodes the tokens the raw tests use (no result sets).
func (r *rawClient) tokens() []token {
	r.t.Helper()
	rd := &reader{b: r.reply().data}
	var out []token
	for rd.left() > 0 {
		tk := token{id: rd.u8()}
		switch tk.id {
		case tokDone, tokDoneProc, tokDoneInProc:
			tk.status = rd.u16()
			rd.u16()
			tk.count = rd.u64()
		case tokReturnStatus:
			rd.u32()
		case tokError, tokInfo, tokLoginAck, tokEnvChange:
			body := rd.bytes(int(rd.u16()))
			if tk.id == tokError && len(body) >= 4 {
				tk.number = int32(binary.LittleEndian.Uint32(body))
			}
		default:
			r.t.Fatalf("unexpected token %#x", tk.id)
		}
		if rd.err != nil {
			r.t.Fatalf("decode reply: %v", rd.err)
		}
		out = append(out, tk)
	}
	return out
}

func TestRawMultipleRPCs(t *testing.T) {
	env := startServer(t)
	r := dialRaw(t, env.addr)
	r.login(testPassword)
	b := rpcByName(allHeaders(0), "count")
	b = append(b, 0x80)
	b = rpcByName(b, "fail")
	b = append(b, 0xFF)
	b = rpcByName(b, "count")
	r.send(pktRPC, 0, b)
	got := fmt.Sprint(r.tokens())
	want := "[FF(0x11,3) FE(0x1,0) ERR(50001) FE(0x3,0) FF(0x11,3) FE(0x0,0)]"
	if got != want {
		t.Errorf("tokens = %s, want %s", got, want)
	}
	if n := env.srv.Stats().Total.RPCs["count"]; n != 2 {
		t.Errorf("count calls = %d, want 2", n)
	}
}

func TestRawAttentionAfterReply(t *testing.T) {
	env := startServer(t)
	r := dialRaw(t, env.addr)
	r.login(testPassword)
	r.send(pktRPC, 0, rpcByName(allHeaders(0), "count"))
	if got := fmt.Sprint(r.tokens()); got != "[FF(0x11,3) FE(0x0,0)]" {
		t.Errorf("count reply = %s", got)
	}
	r.send(pktAttn, 0, nil)
	if got := fmt.Sprint(r.tokens()); got != "[FD(0x20,0)]" {
		t.Errorf("attention reply = %s, want DONE(ATTN)", got)
	}
	// Attention during a request: the reply ends with DONE(ATTN).
	r.send(pktRPC, 0, rpcByName(allHeaders(0), "slow"))
	time.Sleep(50 * time.Millisecond)
	r.send(pktAttn, 0, nil)
	toks := r.tokens()
	if last := toks[len(toks)-1]; last.id != tokDone || last.status != doneAttn {
		t.Errorf("reply to canceled request = %v", toks)
	}
	for _, tk := range toks[:len(toks)-1] {
		if tk.id == tokDone || tk.id == tokDoneProc {
			if tk.status&doneMore == 0 {
				t.Errorf("final DONE before the attention confirmation: %v", toks)
			}
		}
	}
	r.send(pktRPC, 0, rpcByName(allHeaders(0), "count"))
	if got := fmt.Sprint(r.tokens()); got != "[FF(0x11,3) FE(0x0,0)]" {
		t.Errorf("count reply after attention = %s", got)
	}
}

func TestRawUnknownParamType(t *testing.T) {
	env := startServer(t)
	r := dialRaw(t, env.addr)
	r.login(testPassword)
	b := rpcByName(allHeaders(0), "echo")
	b = intParam(b, "@a", 1)
	b = append(b, 2, '@', 0, 'x', 0, 0, 0xF1, 0) // XML parameter
	r.send(pktRPC, 0, b)
	if got := fmt.Sprint(r.tokens()); got != "[ERR(8009) FE(0x2,0)]" {
		t.Errorf("unknown type reply = %s", got)
	}
	// Truncated parameter.
	b = rpcByName(allHeaders(0), "echo")
	b = intParam(b, "@a", 1)
	r.send(pktRPC, 0, b[:len(b)-3])
	if got := fmt.Sprint(r.tokens()); got != "[ERR(8016) FE(0x2,0)]" {
		t.Errorf("truncated reply = %s", got)
	}
	if env.h.callCount("echo") != 0 {
		t.Error("echo ran with undecodable parameters")
	}
	r.send(pktRPC, 0, intParam(rpcByName(allHeaders(0), "count"), "@a", 5))
	if got := fmt.Sprint(r.tokens()); got != "[FF(0x11,3) FE(0x0,0)]" {
		t.Errorf("count after errors = %s", got)
	}
}

func TestRawTransactionManager(t *testing.T) {
	env := startServer(t)
	r := dialRaw(t, env.addr)
	r.login(testPassword)
	tm := func(typ uint16, rest ...byte) []token {
		b := binary.LittleEndian.AppendUint16(allHeaders(0), typ)
		r.send(pktTM, 0, append(b, rest...))
		return r.tokens()
	}
	if got := fmt.Sprint(tm(tmBeginXact, 2, 0)); got != "[E3 FD(0x0,0)]" {
		t.Errorf("begin = %s", got)
	}
	if got := fmt.Sprint(tm(tmPromoteXact)); got != "[ERR(8509) FD(0x2,0)]" {
		t.Errorf("promote = %s", got)
	}
	if got := fmt.Sprint(tm(tmCommitXact, 0, 0)); got != "[E3 FD(0x0,0)]" {
		t.Errorf("commit = %s", got)
	}
	// T-SQL BEGIN TRAN / COMMIT inside batches produce the same ENVCHANGEs.
	r.send(pktSQLBatch, 0, append(allHeaders(0), appendUCS2(nil, "begin tran")...))
	if got := fmt.Sprint(r.tokens()); got != "[E3 FD(0x0,0)]" {
		t.Errorf("begin tran batch = %s", got)
	}
	r.send(pktSQLBatch, statusResetConn, append(allHeaders(0), appendUCS2(nil, "commit")...))
	// Reset dropped the transaction: commit has no descriptor to end.
	if got := fmt.Sprint(r.tokens()); got != "[FD(0x0,0)]" {
		t.Errorf("commit after reset = %s", got)
	}
	if h := env.h.snapshot(); fmt.Sprint(h.begins) != "[2]" || h.commits != 1 || h.resets != 1 {
		t.Errorf("handler saw begins %v commits %d resets %d", h.begins, h.commits, h.resets)
	}
}

func TestMalformedConnectionsLeaveServerHealthy(t *testing.T) {
	env := startServer(t)
	cases := map[string][]byte{
		"short packet":      {pktPrelogin, 1, 0, 3},
		"garbage":           []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"bad prelogin":      framePackets(pktPrelogin, []byte{0, 0, 200, 0, 9}, 4096),
		"short login":       framePackets(pktLogin7, []byte{1, 2, 3}, 4096),
		"tls client hello":  {0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5},
		"truncated message": framePackets(pktPrelogin, buildPrelogin(0), 4096)[:12],
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", env.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(data); err != nil {
				t.Fatal(err)
			}
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 4096)
			for {
				if _, err := c.Read(buf); err != nil {
					break // the server closed the connection
				}
			}
		})
	}
	// A logged-in connection that sends an oversized packet is closed too.
	r := dialRaw(t, env.addr)
	r.login(testPassword)
	big := framePackets(pktSQLBatch, make([]byte, 10000), 8000)
	if _, err := r.c.Write(big); err != nil {
		t.Fatal(err)
	}
	if _, err := r.br.ReadByte(); err == nil {
		t.Error("server answered a packet larger than the negotiated size")
	}
	db := env.open(t, "")
	if err := db.PingContext(ctxT(t)); err != nil {
		t.Fatalf("Ping after malformed connections = %v", err)
	}
	// Encryption required by a raw client: the server replies to PRELOGIN, then closes.
	rc := dialRaw(t, env.addr)
	rc.send(pktPrelogin, 0, buildPrelogin(encryptReq))
	opts, err := parsePrelogin(rc.reply().data)
	if err != nil || len(opts[preloginEncryption]) != 1 || opts[preloginEncryption][0] != encryptNotSup {
		t.Errorf("prelogin reply options = %v, %v", opts, err)
	}
	if _, err := rc.br.ReadByte(); err == nil {
		t.Error("connection stayed open for a client that requires encryption")
	}
}

func TestRawLoginFailureCloses(t *testing.T) {
	env := startServer(t)
	r := dialRaw(t, env.addr)
	if got := fmt.Sprint(r.login("nope")); got != "[ERR(18456) FD(0x2,0)]" {
		t.Errorf("failed login reply = %s", got)
	}
	if _, err := r.br.ReadByte(); err == nil {
		t.Error("connection open after a failed login")
	}
	r2 := dialRaw(t, env.addr)
	toks := r2.login(testPassword)
	if got := fmt.Sprint(toks); got != "[E3 E3 E3 AD FD(0x0,0)]" {
		t.Errorf("login reply = %s", got)
	}
}

func TestServeConnPipe(t *testing.T) {
	env := startServer(t)
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		env.srv.ServeConn(t.Context(), server)
		close(done)
	}()
	r := &rawClient{t: t, c: client, br: bufio.NewReader(client)}
	r.login(testPassword)
	r.send(pktRPC, 0, rpcByName(allHeaders(0), "count"))
	if got := fmt.Sprint(r.tokens()); got != "[FF(0x11,3) FE(0x0,0)]" {
		t.Errorf("reply over pipe = %s", got)
	}
	client.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("ServeConn did not return after the client closed")
	}

	// Canceling ServeConn's context ends the connection.
	ctx, cancel := context.WithCancel(t.Context())
	client, server = net.Pipe()
	done = make(chan struct{})
	go func() {
		env.srv.ServeConn(ctx, server)
		close(done)
	}()
	r = &rawClient{t: t, c: client, br: bufio.NewReader(client)}
	r.login(testPassword)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("ServeConn did not return after its context was canceled")
	}
	if _, err := r.br.ReadByte(); err == nil {
		t.Error("pipe still open after cancel")
	}
}

func TestLoginTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(&fakeHandler{}, Options{LoginTimeout: 100 * time.Millisecond})
	go srv.Serve(ln)
	defer srv.Close()
	r := dialRaw(t, ln.Addr().String())
	r.send(pktPrelogin, 0, buildPrelogin(encryptNotSup))
	r.reply()
	// No LOGIN7: the server gives up.
	if _, err := r.br.ReadByte(); err == nil {
		t.Error("server sent data instead of closing")
	}
	var ne net.Error
	if _, err := r.br.ReadByte(); errors.As(err, &ne) && ne.Timeout() {
		t.Error("connection was not closed by the server within the client deadline")
	}
}

func TestRawProcIDNames(t *testing.T) {
	env := startServer(t)
	r := dialRaw(t, env.addr)
	r.login(testPassword)
	for id, want := range map[uint16]string{1: "sp_cursor", 10: "sp_executesql", 13: "sp_prepexec", 15: "sp_unprepare", 99: "procid 99"} {
		b := binary.LittleEndian.AppendUint16(allHeaders(0), 0xFFFF)
		b = binary.LittleEndian.AppendUint16(b, id)
		b = binary.LittleEndian.AppendUint16(b, 0)
		r.send(pktRPC, 0, b)
		r.tokens()
		if got := env.h.snapshot().lastName; got != want {
			t.Errorf("ProcID %d called %q, want %q", id, got, want)
		}
	}
}

type panicHandler struct{ fakeHandler }

func (h *panicHandler) Login(user, password, database string) (Session, *sqlval.Error) {
	s, err := h.fakeHandler.Login(user, password, database)
	if err != nil {
		return nil, err
	}
	return panicSession{s}, nil
}

type panicSession struct{ Session }

func (panicSession) Batch(ctx context.Context, text string) sqlval.Reply { panic("engine bug") }

func TestHandlerPanicClosesOnlyThatConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &panicHandler{}
	srv := NewServer(h, Options{})
	go srv.Serve(ln)
	defer srv.Close()
	r := dialRaw(t, ln.Addr().String())
	r.login(testPassword)
	r.send(pktSQLBatch, 0, append(allHeaders(0), appendUCS2(nil, "select 1;")...))
	if _, err := r.br.ReadByte(); err == nil {
		t.Error("connection still open after a panic")
	}
	r2 := dialRaw(t, ln.Addr().String())
	r2.login(testPassword)
	r2.send(pktRPC, 0, rpcByName(allHeaders(0), "count"))
	if got := fmt.Sprint(r2.tokens()); got != "[FF(0x11,3) FE(0x0,0)]" {
		t.Errorf("reply after another connection panicked = %s", got)
	}
	if h.snapshot().closes != 1 {
		t.Errorf("session closes = %d, want 1", h.snapshot().closes)
	}
}
