package sqlexec

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
	"github.com/ejops/ejops/emulator/internal/tds"
)

// Options configures a Handler.
type Options struct {
	User       string           // login name, compared case-insensitively
	Password   string           // login password
	Database   string           // database name; default "jobdb"
	ServerName string           // what @@SERVERNAME answers; default DefaultServerName
	Now        func() time.Time // clock of SYSUTCDATETIME() and friends; default sqlval.Now
	// Logins are more logins with their roles; User and Password are the first owner.
	Logins []Login
	// Catalog, when set, makes the handler serve a database other than the job database (see
	// Catalog).
	Catalog Catalog
}

// DefaultServerName is what @@SERVERNAME answers when Options.ServerName is empty.
const DefaultServerName = "ejops"

// Handler logs clients in and runs their requests against a job database. It implements
// tds.Handler.
type Handler struct {
	db         *jobstore.DB
	database   string
	serverName string
	catalog    Catalog
	logins     []Login // the owner first
	now        func() time.Time
	nextID     atomic.Int64
	nextTran   atomic.Uint64

	mu    sync.Mutex
	calls map[string]int
}

var _ tds.Handler = (*Handler)(nil)

// NewHandler returns a Handler serving db.
func NewHandler(db *jobstore.DB, opts Options) *Handler {
	h := &Handler{db: db, database: opts.Database, serverName: opts.ServerName, catalog: opts.Catalog,
		now: opts.Now, calls: map[string]int{}}
	h.logins = append(h.logins, Login{Name: opts.User, Password: opts.Password, Role: RoleOwner})
	h.logins = append(h.logins, opts.Logins...)
	if h.database == "" {
		h.database = "jobdb"
	}
	if h.serverName == "" {
		h.serverName = DefaultServerName
	}
	if h.now == nil {
		h.now = sqlval.Now
	}
	h.nextID.Store(50)
	return h
}

// Login checks the credentials and opens a session. database may be empty (the login's default
// database, the job database) or the job database's name.
func (h *Handler) Login(user, password, database string) (tds.Session, *sqlval.Error) {
	role := ""
	for _, l := range h.logins {
		if strings.EqualFold(user, l.Name) && password == l.Password {
			role = l.Role
			break
		}
	}
	if role == "" {
		return nil, &sqlval.Error{Number: 18456, Class: 14, State: 1, Message: "Login failed for user '" + user + "'."}
	}
	if database != "" && !strings.EqualFold(database, h.database) {
		return nil, &sqlval.Error{Number: 4060, Class: 11, State: 1,
			Message: "Cannot open database \"" + database + "\" requested by the login. The login failed."}
	}
	s := h.NewSession(user)
	s.role = role
	return s, nil
}

// NewSession opens a session without a login, for in-process use.
func (h *Handler) NewSession(user string) *Session {
	return &Session{h: h, db: h.db.NewSession(), id: h.nextID.Add(1), user: user, role: RoleOwner, calls: map[string]int{}}
}

// Calls returns the number of procedure calls per procedure name (lower case, with schema) over
// all sessions, both RPCs and EXEC statements, since the last ResetCalls.
func (h *Handler) Calls() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.calls))
	for k, v := range h.calls {
		out[k] = v
	}
	return out
}

// ResetCalls clears the procedure call counts.
func (h *Handler) ResetCalls() {
	h.mu.Lock()
	h.calls = map[string]int{}
	h.mu.Unlock()
}

// Session is one client connection. It implements tds.Session.
type Session struct {
	h         *Handler
	db        *jobstore.Session
	id        int64
	user      string
	role      string // RoleOwner, RoleAdmin or RoleReader (see perms.go)
	xactAbort bool
	nocount   bool
	rowCount  int64
	lastError int32
	calls     map[string]int

	ctx   context.Context
	reply *sqlval.Reply
}

var _ tds.Session = (*Session)(nil)

// Calls returns this session's procedure call counts by name (lower case, with schema).
func (s *Session) Calls() map[string]int {
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

func (s *Session) start(ctx context.Context) *sqlval.Reply {
	s.ctx = ctx
	s.db.SetContext(ctx)
	s.reply = &sqlval.Reply{}
	return s.reply
}

func (s *Session) emit(it sqlval.Item) { s.reply.Items = append(s.reply.Items, it) }

// fail ends the request with a terminating error, rolling back the transaction when the error
// dooms it (a procedure error) or XACT_ABORT is on.
func (s *Session) fail(err *sqlval.Error) {
	switch {
	case s.db.RolledBack():
		s.emit(sqlval.Item{Kind: sqlval.ItemTranRollback})
	case s.xactAbort && s.db.TranCount() > 0:
		_ = s.db.Rollback(s.ctx)
		s.emit(sqlval.Item{Kind: sqlval.ItemTranRollback})
	}
	s.lastError = err.Number
	s.reply.Err = err
}

// Batch runs a SQL batch.
func (s *Session) Batch(ctx context.Context, sql string) sqlval.Reply {
	rep := s.start(ctx)
	defer func() { s.reply = nil }()
	stmts, err := Parse(sql)
	var decls map[string]sqlval.Column
	if err == nil {
		decls, err = check(stmts, nil)
	}
	if err != nil {
		s.lastError = err.Number
		rep.Err = err
		return *rep
	}
	b := s.newBatch()
	b.declare(decls)
	if err := b.run(stmts); err != nil {
		s.fail(err)
	}
	return *rep
}

// maxRequestParams is the most parameters a request may carry: 2,100 parameters per stored
// procedure ("Maximum capacity specifications for SQL Server",
// https://learn.microsoft.com/sql/sql-server/maximum-capacity-specifications-for-sql-server),
// refused with Msg 8003. [U] sp_executesql's @stmt and @params count among them.
const maxRequestParams = 2100

// RPC runs a procedure by name, or sp_executesql.
func (s *Session) RPC(ctx context.Context, name string, params []sqlval.Param) sqlval.Reply {
	rep := s.start(ctx)
	defer func() { s.reply = nil }()
	if len(params) > maxRequestParams {
		s.fail(sqlval.Errorf(8003, "The incoming request has too many parameters. The server supports a maximum of %d parameters. Reduce the number of parameters and resend the request.", maxRequestParams))
		return *rep
	}
	n := normalizeProc(name)
	if n == "sp_executesql" || n == "sys.sp_executesql" || n == "dbo.sp_executesql" {
		s.executeSQL(params)
		return *rep
	}
	args := make([]jobstore.Arg, len(params))
	for i, p := range params {
		args[i] = jobstore.Arg{Name: strings.TrimPrefix(p.Name, "@"), Value: p.Value, Output: p.Output}
	}
	res, err := s.callProc(n, name, args)
	for _, m := range res.Messages {
		s.emit(sqlval.Item{Kind: sqlval.ItemInfo, Err: m})
	}
	for i := range res.Sets {
		s.emit(sqlval.Item{Kind: sqlval.ItemResultSet, Set: &res.Sets[i]})
	}
	if err != nil {
		if res.ReturnStatus != 0 {
			rs := res.ReturnStatus
			rep.ReturnStatus = &rs
		}
		s.fail(err)
		return *rep
	}
	rs := res.ReturnStatus
	rep.ReturnStatus = &rs
	formal, _ := jobstore.Params(n)
	for i, p := range params {
		if !p.Output {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(p.Name, "@"))
		if p.Name == "" && i < len(formal) {
			key = strings.ToLower(formal[i].Name)
		}
		v, ok := res.Outputs[key]
		if !ok {
			v = p.Value
		}
		rep.Outputs = append(rep.Outputs, outParam(p.Name, p.Type, v))
	}
	return *rep
}

// outParam builds an echoed OUTPUT parameter of the requested type.
func outParam(name string, typ sqlval.Column, v sqlval.Value) sqlval.Param {
	if typ.Type == sqlval.Null {
		typ = sqlval.ValueType(v)
	}
	if cv, err := convert(v, sqlval.Column{Type: typ.Type, Size: sqlval.Max}); err == nil {
		v = cv
	} else {
		typ = sqlval.ValueType(v)
	}
	if s, ok := v.(string); ok && typ.Size != sqlval.Max && sqlval.CharLen(s) > typ.Size {
		typ.Size = sqlval.Max
	}
	if b, ok := v.([]byte); ok && typ.Size != sqlval.Max && len(b) > typ.Size {
		typ.Size = sqlval.Max
	}
	typ.Nullable = true
	return sqlval.Param{Name: name, Output: true, Type: typ, Value: v}
}

// normalizeProc turns a possibly bracketed, database-qualified procedure name into the
// lower-case schema.name (or bare name) form.
func normalizeProc(name string) string {
	p := newParser(name)
	var parts []string
	ok := p.try(func() {
		parts = p.multiName()
		if !p.atEOF() {
			p.fail()
		}
	})
	if !ok {
		return strings.ToLower(name)
	}
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.ToLower(strings.Join(parts, "."))
}

// callProc counts and runs a procedure call. Errors raised inside the procedure carry a line.
func (s *Session) callProc(norm, written string, args []jobstore.Arg) (jobstore.CallResult, *sqlval.Error) {
	if !s.hasProc(norm) {
		e := sqlval.Errorf(2812, "Could not find stored procedure '%s'.", written)
		e.State = 62
		return jobstore.CallResult{}, e
	}
	if err := s.deniedProc(norm); err != nil {
		return jobstore.CallResult{}, err
	}
	key := norm
	if !strings.Contains(key, ".") || strings.HasPrefix(key, "dbo.") {
		key = "sys." + key[strings.IndexByte(key, '.')+1:]
	}
	s.calls[key]++
	s.countInReply(key)
	s.h.mu.Lock()
	s.h.calls[key]++
	s.h.mu.Unlock()
	res, err := s.db.Call(s.ctx, norm, args)
	if err != nil && err.Proc != "" && err.Line == 0 {
		// SQL Server reports a line of the procedure's body, never 0.
		c := *err
		c.Line = 1
		err = &c
	}
	return res, err
}

// countInReply counts a procedure call in the reply of the request running it.
func (s *Session) countInReply(proc string) {
	if s.reply == nil {
		return
	}
	if s.reply.Procs == nil {
		s.reply.Procs = map[string]int{}
	}
	s.reply.Procs[proc]++
}

// executeSQL answers an sp_executesql RPC: the statement's items, its RETURN value and the
// OUTPUT parameters echoed under the names the request used.
func (s *Session) executeSQL(params []sqlval.Param) {
	vars, ret, err := s.runExecuteSQL(params)
	if err != nil {
		s.fail(err)
		return
	}
	s.reply.ReturnStatus = &ret
	for _, p := range params[min(2, len(params)):] {
		if !p.Output {
			continue
		}
		if v := vars[strings.ToLower(p.Name)]; v != nil {
			s.reply.Outputs = append(s.reply.Outputs, outParam(p.Name, p.Type, v.val))
		}
	}
}

// runExecuteSQL runs sp_executesql: statement, declarations, then the declared parameters'
// values, named or positional. It returns the statement's variables and RETURN value.
func (s *Session) runExecuteSQL(params []sqlval.Param) (map[string]*variable, int32, *sqlval.Error) {
	if len(params) == 0 {
		e := sqlval.Errorf(201, "Procedure or function 'sp_executesql' expects parameter '@statement', which was not supplied.")
		e.State = 4
		return nil, 0, e
	}
	stmt, _ := params[0].Value.(string)
	var declText string
	if len(params) > 1 {
		declText, _ = params[1].Value.(string)
	}
	decls, err := ParseDecl(declText)
	if err != nil {
		return nil, 0, err
	}
	b := s.newBatch()
	given := make([]bool, len(decls))
	for _, d := range decls {
		b.vars[d.Name] = &variable{typ: d.Type}
	}
	for i, p := range params[min(2, len(params)):] {
		di := i
		if p.Name != "" {
			di = -1
			for j, d := range decls {
				if strings.EqualFold(d.Name, p.Name) {
					di = j
					break
				}
			}
			if di < 0 {
				return nil, 0, sqlval.Errorf(8145, "%s is not a parameter for procedure sp_executesql.", p.Name)
			}
		} else if di >= len(decls) {
			e := sqlval.Errorf(8144, "Procedure or function sp_executesql has too many arguments specified.")
			e.State = 2
			return nil, 0, e
		}
		d := decls[di]
		v, cerr := convert(p.Value, d.Type)
		if cerr != nil {
			return nil, 0, sqlval.Errorf(8114, "Error converting data type %s to %s.", sqlval.TypeName(sqlval.ValueType(p.Value)), sqlval.TypeName(d.Type))
		}
		b.vars[d.Name].val = v
		given[di] = true
	}
	for i, d := range decls {
		if !given[i] {
			return nil, 0, sqlval.Errorf(8178, "The parameterized query '(%s)%s' expects the parameter '%s', which was not supplied.",
				declText, stmt, d.Name)
		}
	}
	stmts, err := Parse(stmt)
	var locals map[string]sqlval.Column
	if err == nil {
		locals, err = check(stmts, b.vars)
	}
	if err == nil {
		b.declare(locals)
		err = b.run(stmts)
	}
	if err != nil {
		return nil, 0, err
	}
	var ret int32
	if b.ret != nil {
		ret = *b.ret
	}
	return b.vars, ret, nil
}

// Begin starts a transaction for a transaction manager request.
func (s *Session) Begin(ctx context.Context, _ byte) (uint64, *sqlval.Error) {
	s.ctx = ctx
	s.db.SetContext(ctx)
	if err := s.db.Begin(ctx); err != nil {
		return 0, err
	}
	return s.h.nextTran.Add(1), nil
}

// Commit commits the transaction.
func (s *Session) Commit(ctx context.Context) *sqlval.Error {
	s.db.SetContext(ctx)
	return s.db.Commit(ctx)
}

// Rollback rolls the transaction back.
func (s *Session) Rollback(ctx context.Context) *sqlval.Error {
	s.db.SetContext(ctx)
	return s.db.Rollback(ctx)
}

// Reset clears per-session state: the transaction, locks and SET options.
func (s *Session) Reset() {
	s.db.Reset()
	s.xactAbort, s.nocount = false, false
	s.rowCount, s.lastError = 0, 0
}

// Close ends the session.
func (s *Session) Close() {
	s.db.Close()
}
