package tds

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

const testPassword = "s3cret-Sentinel"

// fakeHandler is a tiny job database stand-in: it echoes parameters, returns canned result sets
// and errors, and records what it was asked.
type fakeHandler struct {
	mu         sync.Mutex
	logins     int
	closes     int
	resets     int
	begins     []byte
	commits    int
	rollbacks  int
	lastName   string
	lastParams []sqlval.Param
	lastBatch  string
	canceled   int
	calls      map[string]int
}

func (h *fakeHandler) Login(user, password, database string) (Session, *sqlval.Error) {
	if password != testPassword {
		return nil, &sqlval.Error{Number: 18456, State: 1, Class: 14, Message: "Login failed for user '" + user + "'."}
	}
	h.mu.Lock()
	h.logins++
	h.mu.Unlock()
	return &fakeSession{h: h}, nil
}

func (h *fakeHandler) snapshot() fakeHandler {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fakeHandler{logins: h.logins, closes: h.closes, resets: h.resets, begins: append([]byte(nil), h.begins...),
		commits: h.commits, rollbacks: h.rollbacks, lastName: h.lastName, lastParams: h.lastParams,
		lastBatch: h.lastBatch, canceled: h.canceled}
}

func (h *fakeHandler) callCount(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[name]
}

type fakeSession struct {
	h *fakeHandler
}

var (
	testGUID = sqlval.UUID{0x6F, 0x96, 0x19, 0xFF, 0x8B, 0x86, 0xD0, 0x11, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9, 0x64, 0xFF}
	testTime = time.Date(2024, 2, 29, 13, 14, 15, 123456700, time.UTC)
	testDTO  = time.Date(2024, 2, 29, 13, 14, 15, 123456700, time.FixedZone("", -(5*3600+30*60)))
	// datetime has 1/300 s precision: .5 s is exact.
	testDateTime = time.Date(1999, 12, 31, 23, 59, 58, 500_000_000, time.UTC)
)

func allTypesSet() *sqlval.ResultSet {
	cols := []sqlval.Column{
		{Name: "i", Type: sqlval.Int, Nullable: true},
		{Name: "bi", Type: sqlval.BigInt, Nullable: true},
		{Name: "ti", Type: sqlval.TinyInt, Nullable: true},
		{Name: "si", Type: sqlval.SmallInt, Nullable: true},
		{Name: "b", Type: sqlval.Bit, Nullable: true},
		{Name: "f", Type: sqlval.Float, Nullable: true},
		{Name: "s", Type: sqlval.NVarChar, Size: 3, Nullable: true}, // value longer than declared
		{Name: "smax", Type: sqlval.NVarChar, Size: sqlval.Max, Nullable: true},
		{Name: "vb", Type: sqlval.VarBinary, Size: 10, Nullable: true},
		{Name: "g", Type: sqlval.GUID, Nullable: true},
		{Name: "dt2", Type: sqlval.DateTime2, Nullable: true},
		{Name: "dto", Type: sqlval.DateTimeOffset, Nullable: true},
		{Name: "dt", Type: sqlval.DateTime, Nullable: true},
		{Name: "n", Type: sqlval.Null, Nullable: true},
	}
	row := []sqlval.Value{int64(-2147483648), int64(1) << 62, int64(255), int64(-32768), true, 3.25,
		"héllo wörld 🙂", strings.Repeat("λ", 5000), []byte{0, 1, 2, 0xFF}, testGUID, testTime, testDTO,
		testDateTime, nil}
	nulls := make([]sqlval.Value, len(cols))
	return &sqlval.ResultSet{Columns: cols, Rows: [][]sqlval.Value{row, nulls}}
}

func intSet(name string, vals ...int64) *sqlval.ResultSet {
	rs := &sqlval.ResultSet{Columns: []sqlval.Column{{Name: name, Type: sqlval.Int}}}
	for _, v := range vals {
		rs.Rows = append(rs.Rows, []sqlval.Value{v})
	}
	return rs
}

func (s *fakeSession) Batch(ctx context.Context, text string) sqlval.Reply {
	s.h.mu.Lock()
	s.h.lastBatch = text
	s.h.mu.Unlock()
	switch t := strings.TrimSpace(text); {
	case t == "select 1;":
		return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemResultSet, Set: intSet("", 1)}}}
	case t == "select types":
		return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemResultSet, Set: allTypesSet()}}}
	case t == "select multi":
		return sqlval.Reply{Items: []sqlval.Item{
			{Kind: sqlval.ItemResultSet, Set: intSet("a", 1, 2)},
			{Kind: sqlval.ItemInfo, Err: &sqlval.Error{Number: 0, Class: 0, Message: "printed"}},
			{Kind: sqlval.ItemRowCount, Count: 5},
			{Kind: sqlval.ItemResultSet, Set: intSet("b", 3)},
		}}
	case t == "update rows":
		return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemRowCount, Count: 3}, {Kind: sqlval.ItemRowCount, Count: 4}}}
	case strings.HasPrefix(t, "select big "):
		n := len(t) // the caller pads the text to the wanted size
		return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemResultSet, Set: &sqlval.ResultSet{
			Columns: []sqlval.Column{{Name: "s", Type: sqlval.NVarChar, Size: 50}, {Name: "b", Type: sqlval.VarBinary, Size: 50}},
			Rows:    [][]sqlval.Value{{strings.Repeat("x", n), make([]byte, n)}},
		}}}}
	case t == "bad overflow":
		return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemResultSet, Set: &sqlval.ResultSet{
			Columns: []sqlval.Column{{Name: "i", Type: sqlval.Int}},
			Rows:    [][]sqlval.Value{{int64(1) << 40}},
		}}}}
	case t == "waitfor delay":
		return s.wait(ctx)
	case t == "begin tran":
		return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemTranBegin}}}
	case t == "commit":
		return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemTranCommit}}}
	}
	return sqlval.Reply{Err: &sqlval.Error{Number: 102, State: 1, Class: 15, Message: "Incorrect syntax near 'x'.", Line: 1}}
}

func (s *fakeSession) wait(ctx context.Context) sqlval.Reply {
	select {
	case <-ctx.Done():
		s.h.mu.Lock()
		s.h.canceled++
		s.h.mu.Unlock()
		return sqlval.Reply{Err: &sqlval.Error{Number: 3980, State: 1, Class: 16, Message: "canceled"}}
	case <-time.After(10 * time.Second):
		return sqlval.Reply{}
	}
}

// echoReply returns params as one result set row and echoes output parameters.
func echoReply(params []sqlval.Param) sqlval.Reply {
	rs := &sqlval.ResultSet{Rows: [][]sqlval.Value{{}}}
	var outs []sqlval.Param
	for i, p := range params {
		name := strings.TrimPrefix(p.Name, "@")
		if name == "" {
			name = "c" + string(rune('0'+i))
		}
		rs.Columns = append(rs.Columns, sqlval.Column{Name: name, Type: p.Type.Type, Size: p.Type.Size, Nullable: true})
		rs.Rows[0] = append(rs.Rows[0], p.Value)
		if p.Output {
			outs = append(outs, p)
		}
	}
	rc := int32(len(params))
	return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemResultSet, Set: rs}}, ReturnStatus: &rc, Outputs: outs}
}

// outputReply changes every output parameter's value.
func outputReply(params []sqlval.Param) sqlval.Reply {
	var outs []sqlval.Param
	for _, p := range params {
		if !p.Output {
			continue
		}
		switch v := p.Value.(type) {
		case int64:
			p.Value = v * 2
		case string:
			p.Value = v + strings.Repeat("!", 10)
		case bool:
			p.Value = !v
		case float64:
			p.Value = v * 2
		case []byte:
			p.Value = append(v, 0xEE)
		case sqlval.UUID:
			p.Value = testGUID
		case time.Time:
			p.Value = v.Add(time.Hour)
		}
		outs = append(outs, p)
	}
	rc := int32(7)
	return sqlval.Reply{ReturnStatus: &rc, Outputs: outs}
}

func (s *fakeSession) RPC(ctx context.Context, name string, params []sqlval.Param) sqlval.Reply {
	s.h.mu.Lock()
	s.h.lastName, s.h.lastParams = name, params
	if s.h.calls == nil {
		s.h.calls = map[string]int{}
	}
	s.h.calls[name]++
	s.h.mu.Unlock()
	if name == "sp_executesql" && len(params) >= 2 {
		stmt, _ := params[0].Value.(string)
		switch {
		case strings.HasPrefix(stmt, "select echo"):
			return echoReply(params[2:])
		case strings.HasPrefix(stmt, "exec outs"):
			return outputReply(params[2:])
		case strings.HasPrefix(stmt, "update"):
			return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemRowCount, Count: 3}}}
		}
		return sqlval.Reply{Err: &sqlval.Error{Number: 102, State: 1, Class: 15, Message: "Incorrect syntax near 'x'.", Line: 1}}
	}
	switch name {
	case "echo":
		return echoReply(params)
	case "outs":
		return outputReply(params)
	case "count":
		return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemRowCount, Count: 3}}}
	case "fail":
		return sqlval.Reply{Err: &sqlval.Error{Number: 50001, State: 3, Class: 16, Message: "The job does not exist.", Proc: "jobs.sp_fail", Line: 12}}
	case "warn_then_fail":
		return sqlval.Reply{Items: []sqlval.Item{
			{Kind: sqlval.ItemError, Err: &sqlval.Error{Number: 515, State: 2, Class: 16, Message: "first"}},
		}, Err: &sqlval.Error{Number: 50000, State: 1, Class: 16, Message: "second"}}
	case "abort":
		return sqlval.Reply{
			Items: []sqlval.Item{{Kind: sqlval.ItemTranRollback}},
			Err:   &sqlval.Error{Number: 50000, State: 1, Class: 16, Message: "aborted", Proc: "abort", Line: 1},
		}
	case "slow":
		return s.wait(ctx)
	}
	return sqlval.Reply{Err: &sqlval.Error{Number: 2812, State: 62, Class: 16, Message: "Could not find stored procedure '" + name + "'."}}
}

func (s *fakeSession) Begin(ctx context.Context, isolation byte) (uint64, *sqlval.Error) {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.begins = append(s.h.begins, isolation)
	return 0, nil
}

func (s *fakeSession) Commit(ctx context.Context) *sqlval.Error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.commits++
	return nil
}

func (s *fakeSession) Rollback(ctx context.Context) *sqlval.Error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.rollbacks++
	return nil
}

func (s *fakeSession) Reset() {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.resets++
}

func (s *fakeSession) Close() {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.closes++
}
