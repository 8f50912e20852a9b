package tds

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

type testEnv struct {
	srv  *Server
	h    *fakeHandler
	addr string
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServer(t testing.TB) *testEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{h: &fakeHandler{}, addr: ln.Addr().String(), logs: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env.srv = NewServer(env.h, Options{Logger: logger})
	done := make(chan error, 1)
	go func() { done <- env.srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := env.srv.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return env
}

func (e *testEnv) dsn(password, extra string) string {
	return fmt.Sprintf("sqlserver://jobuser:%s@%s?database=jobdb&encrypt=disable%s", password, e.addr, extra)
}

func (e *testEnv) open(t testing.TB, extra string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlserver", e.dsn(testPassword, extra))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openOne opens a pool of at most one connection and logs it in.
func (e *testEnv) openOne(t testing.TB) (*sql.DB, context.Context) {
	t.Helper()
	db := e.open(t, "")
	db.SetMaxOpenConns(1)
	ctx := ctxT(t)
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	return db, ctx
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestLoginAndPing(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	if err := db.PingContext(ctxT(t)); err != nil {
		t.Fatalf("Ping() = %v", err)
	}
	if got := env.h.snapshot().lastBatch; got != "select 1;" {
		t.Errorf("ping batch = %q", got)
	}
	// No encrypt key: the client offers ENCRYPT_OFF and still gets plain TDS.
	db2, err := sql.Open("sqlserver", fmt.Sprintf("sqlserver://jobuser:%s@%s?database=jobdb", testPassword, env.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := db2.PingContext(ctxT(t)); err != nil {
		t.Fatalf("Ping() without encrypt key = %v", err)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	env := startServer(t)
	db, err := sql.Open("sqlserver", env.dsn("wrong", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.PingContext(ctxT(t))
	var me mssql.Error
	if !errors.As(err, &me) {
		t.Fatalf("Ping() = %v, want mssql.Error", err)
	}
	if me.Number != 18456 || me.Class != 14 || me.State != 1 || !strings.HasSuffix(me.Message, "Login failed for user 'jobuser'.") {
		t.Errorf("login error = %#v", me)
	}
}

func TestEncryptRequiredRefused(t *testing.T) {
	env := startServer(t)
	db, err := sql.Open("sqlserver", fmt.Sprintf("sqlserver://jobuser:%s@%s?encrypt=true", testPassword, env.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.PingContext(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "encryption") {
		t.Fatalf("Ping() with encrypt=true = %v, want an encryption error", err)
	}
	if n := env.h.snapshot().logins; n != 0 {
		t.Errorf("logins = %d, want 0", n)
	}
}

func TestBatchAllTypes(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	rows, err := db.QueryContext(ctxT(t), "select types")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := []string{"INT", "BIGINT", "TINYINT", "SMALLINT", "BIT", "FLOAT", "NVARCHAR", "NVARCHAR",
		"VARBINARY", "UNIQUEIDENTIFIER", "DATETIME2", "DATETIMEOFFSET", "DATETIME", "INT"}
	for i, ct := range cts {
		if ct.DatabaseTypeName() != wantTypes[i] {
			t.Errorf("column %s type = %s, want %s", ct.Name(), ct.DatabaseTypeName(), wantTypes[i])
		}
	}
	if !rows.Next() {
		t.Fatalf("no first row: %v", rows.Err())
	}
	var (
		i, bi, ti, si int64
		b             bool
		f             float64
		s, smax       string
		vb            []byte
		g             mssql.UniqueIdentifier
		dt2, dto, dt  time.Time
		n             any
	)
	if err := rows.Scan(&i, &bi, &ti, &si, &b, &f, &s, &smax, &vb, &g, &dt2, &dto, &dt, &n); err != nil {
		t.Fatal(err)
	}
	row := allTypesSet().Rows[0]
	check := func(name string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("i", i, row[0])
	check("bi", bi, row[1])
	check("ti", ti, row[2])
	check("si", si, row[3])
	check("b", b, row[4])
	check("f", f, row[5])
	check("s", s, row[6])
	check("smax", smax, row[7])
	check("vb", vb, row[8])
	check("g", sqlval.UUID(g), testGUID)
	if !dt2.Equal(testTime) {
		t.Errorf("dt2 = %v, want %v", dt2, testTime)
	}
	if !dto.Equal(testDTO) {
		t.Errorf("dto = %v, want %v", dto, testDTO)
	}
	if _, off := dto.Zone(); off != -(5*3600 + 30*60) {
		t.Errorf("dto offset = %d", off)
	}
	if !dt.Equal(testDateTime) {
		t.Errorf("dt = %v, want %v", dt, testDateTime)
	}
	check("n", n, nil)
	if !rows.Next() {
		t.Fatalf("no second row: %v", rows.Err())
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for k := range vals {
		ptrs[k] = &vals[k]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	for k, v := range vals {
		if v != nil {
			t.Errorf("null row column %d = %v", k, v)
		}
	}
	if rows.Next() {
		t.Error("unexpected third row")
	}
	if err := rows.Err(); err != nil {
		t.Error(err)
	}
}

func TestMultipleResultSetsAndRowsAffected(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	ctx := ctxT(t)
	rows, err := db.QueryContext(ctx, "select multi")
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for {
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("values = %v, want [1 2 3]", got)
	}
	res, err := db.ExecContext(ctx, "update rows")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 7 {
		t.Errorf("batch RowsAffected = %d, want 7", n)
	}
	res, err = db.ExecContext(ctx, "count")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 3 {
		t.Errorf("rpc RowsAffected = %d, want 3", n)
	}
	res, err = db.ExecContext(ctx, "update x where y = @p1", 1)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 3 {
		t.Errorf("sp_executesql RowsAffected = %d, want 3", n)
	}
}
