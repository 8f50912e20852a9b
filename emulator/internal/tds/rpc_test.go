package tds

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func TestRPCParameterTypes(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	ctx := ctxT(t)
	long := strings.Repeat("é", 5000) // 10,000 bytes: PLP
	bigBin := bytes.Repeat([]byte{7}, 9000)
	uid := mssql.UniqueIdentifier{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10}
	tests := []struct {
		name string
		arg  any
		typ  sqlval.Type
		size int
		want sqlval.Value
	}{
		{"int64", int64(-5), sqlval.BigInt, 0, int64(-5)},
		{"int32", int32(1 << 30), sqlval.Int, 0, int64(1 << 30)},
		{"int16", int16(-300), sqlval.SmallInt, 0, int64(-300)},
		{"uint8", uint8(200), sqlval.TinyInt, 0, int64(200)},
		{"bool", true, sqlval.Bit, 0, true},
		{"float64", 1.5, sqlval.Float, 0, 1.5},
		{"float32", float32(2.25), sqlval.Float, 0, 2.25},
		{"string", "héllo 🙂", sqlval.NVarChar, 8, "héllo 🙂"},
		{"empty string", "", sqlval.NVarChar, sqlval.Max, ""},
		{"long string", long, sqlval.NVarChar, sqlval.Max, long},
		{"nil", nil, sqlval.Null, 0, nil},
		{"null string", sql.NullString{}, sqlval.NVarChar, 4000, nil},
		{"null int64", sql.NullInt64{}, sqlval.BigInt, 0, nil},
		{"null bool", sql.NullBool{}, sqlval.Bit, 0, nil},
		{"null float", sql.NullFloat64{}, sqlval.Float, 0, nil},
		{"null time", sql.NullTime{}, sqlval.DateTimeOffset, 0, nil},
		{"bytes", []byte{1, 2, 3}, sqlval.VarBinary, 3, []byte{1, 2, 3}},
		{"empty bytes", []byte{}, sqlval.VarBinary, sqlval.Max, []byte{}},
		{"big bytes", bigBin, sqlval.VarBinary, sqlval.Max, bigBin},
		{"varchar", mssql.VarChar("abc"), sqlval.NVarChar, 3, "abc"},
		{"varchar max", mssql.VarCharMax("abcd"), sqlval.NVarChar, sqlval.Max, "abcd"},
		{"nvarchar max", mssql.NVarCharMax("xyz"), sqlval.NVarChar, sqlval.Max, "xyz"},
		{"nchar", mssql.NChar("ab"), sqlval.NVarChar, 2, "ab"},
		{"guid", uid, sqlval.GUID, 0, sqlval.UUID(uid)},
		{"time", testDTO, sqlval.DateTimeOffset, 0, testDTO},
		{"datetimeoffset", mssql.DateTimeOffset(testDTO), sqlval.DateTimeOffset, 0, testDTO},
		{"datetime1", mssql.DateTime1(testDateTime), sqlval.DateTime, 0, testDateTime},
		{"civil datetime", civil.DateTimeOf(testTime), sqlval.DateTime2, 0, testTime},
		{"civil date", civil.DateOf(testTime), sqlval.DateTime2, 0, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"civil time", civil.TimeOf(testTime), sqlval.DateTime2, 0, time.Date(1900, 1, 1, 13, 14, 15, 123456700, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.ExecContext(ctx, "echo", sql.Named("v", tc.arg)); err != nil {
				t.Fatalf("Exec() = %v", err)
			}
			h := env.h.snapshot()
			if h.lastName != "echo" || len(h.lastParams) != 1 {
				t.Fatalf("call = %s %+v", h.lastName, h.lastParams)
			}
			p := h.lastParams[0]
			if p.Name != "@v" || p.Output {
				t.Errorf("param name/output = %q %v", p.Name, p.Output)
			}
			if p.Type.Type != tc.typ {
				t.Errorf("type = %s, want %s", kindName(p.Type.Type), kindName(tc.typ))
			}
			if tc.size != 0 && p.Type.Size != tc.size {
				t.Errorf("size = %d, want %d", p.Type.Size, tc.size)
			}
			if !valueEqual(p.Value, tc.want) {
				t.Errorf("value = %#v, want %#v", p.Value, tc.want)
			}
		})
	}
}

func valueEqual(a, b sqlval.Value) bool {
	switch x := a.(type) {
	case time.Time:
		y, ok := b.(time.Time)
		_, ox := x.Zone()
		_, oy := y.Zone()
		return ok && x.Equal(y) && ox == oy
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y) && (x == nil) == (y == nil)
	}
	return a == b
}

func TestWallClock(t *testing.T) {
	got := WallClock(testDTO)
	want := time.Date(2024, 2, 29, 13, 14, 15, 123456700, time.UTC)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("WallClock() = %v, want %v", got, want)
	}
}

func TestRPCEchoResultSet(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	ctx := ctxT(t)
	uid := mssql.UniqueIdentifier{0xA1, 0xA2, 0xA3, 0xA4, 0xB1, 0xB2, 0xC1, 0xC2, 0xD1, 0xD2, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6}
	var rs mssql.ReturnStatus
	row := db.QueryRowContext(ctx, "echo", sql.Named("i", int64(42)), sql.Named("s", "x"), sql.Named("g", uid),
		sql.Named("t", testDTO), sql.Named("n", nil), sql.Named("e", ""), &rs)
	var (
		i  int64
		s  string
		g  mssql.UniqueIdentifier
		tm time.Time
		n  sql.NullString
		e  string
	)
	if err := row.Scan(&i, &s, &g, &tm, &n, &e); err != nil {
		t.Fatal(err)
	}
	if i != 42 || s != "x" || g != uid || !tm.Equal(testDTO) || n.Valid || e != "" {
		t.Errorf("row = %v %q %v %v %v %q", i, s, g, tm, n, e)
	}
	if _, off := tm.Zone(); off != -(5*3600 + 30*60) {
		t.Errorf("offset = %d", off)
	}
	// Positional arguments to a procedure arrive unnamed.
	if _, err := db.ExecContext(ctx, "echo", 1, "two"); err != nil {
		t.Fatal(err)
	}
	h := env.h.snapshot()
	if len(h.lastParams) != 2 || h.lastParams[0].Name != "" || h.lastParams[1].Value != "two" {
		t.Errorf("positional params = %+v", h.lastParams)
	}
}

func TestOutputParamsAndReturnStatus(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	ctx := ctxT(t)
	var (
		rs  mssql.ReturnStatus
		i   = int64(21)
		s   = "ab"
		b   = true
		f   = 1.25
		bin = []byte{1}
		g   = mssql.UniqueIdentifier{}
		tm  = testDTO
	)
	_, err := db.ExecContext(ctx, "outs", sql.Named("in", 5),
		sql.Named("Int", sql.Out{Dest: &i}), sql.Named("str", sql.Out{Dest: &s}), sql.Named("bit", sql.Out{Dest: &b}),
		sql.Named("flt", sql.Out{Dest: &f}), sql.Named("bin", sql.Out{Dest: &bin}), sql.Named("guid", sql.Out{Dest: &g}),
		sql.Named("tm", sql.Out{Dest: &tm}), &rs)
	if err != nil {
		t.Fatal(err)
	}
	if rs != 7 {
		t.Errorf("return status = %d, want 7", rs)
	}
	if i != 42 || s != "ab!!!!!!!!!!" || b || f != 2.5 || !bytes.Equal(bin, []byte{1, 0xEE}) {
		t.Errorf("outputs = %d %q %v %v %v", i, s, b, f, bin)
	}
	if sqlval.UUID(g) != testGUID {
		t.Errorf("guid output = %v, want %v", sqlval.UUID(g), testGUID)
	}
	if !tm.Equal(testDTO.Add(time.Hour)) {
		t.Errorf("time output = %v", tm)
	}
	h := env.h.snapshot()
	if !h.lastParams[1].Output || h.lastParams[1].Name != "@Int" || h.lastParams[0].Output {
		t.Errorf("output flags = %+v", h.lastParams[:2])
	}

	// EXEC … OUTPUT through sp_executesql.
	i = 4
	rs = 0
	if _, err := db.ExecContext(ctx, "exec outs @x = @y output", sql.Named("y", sql.Out{Dest: &i}), &rs); err != nil {
		t.Fatal(err)
	}
	if i != 8 || rs != 7 {
		t.Errorf("sp_executesql output = %d, status %d", i, rs)
	}
}

func TestExecuteSQL(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	var a int64
	var b string
	if err := db.QueryRowContext(ctxT(t), "select echo @p1, @p2", 7, "seven").Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != 7 || b != "seven" {
		t.Errorf("got %d %q", a, b)
	}
	h := env.h.snapshot()
	if h.lastName != "sp_executesql" || len(h.lastParams) != 4 {
		t.Fatalf("call = %s with %d params", h.lastName, len(h.lastParams))
	}
	if h.lastParams[0].Name != "" || h.lastParams[0].Value != "select echo @p1, @p2" {
		t.Errorf("statement param = %+v", h.lastParams[0])
	}
	if decl, _ := h.lastParams[1].Value.(string); !strings.Contains(decl, "@p1 bigint") {
		t.Errorf("declarations = %q", decl)
	}
	if h.lastParams[2].Name != "@p1" || h.lastParams[3].Name != "@p2" {
		t.Errorf("names = %q %q", h.lastParams[2].Name, h.lastParams[3].Name)
	}
}

func TestErrors(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	db.SetMaxOpenConns(1)
	ctx := ctxT(t)
	_, err := db.ExecContext(ctx, "fail")
	var me mssql.Error
	if !errors.As(err, &me) {
		t.Fatalf("Exec(fail) = %v, want mssql.Error", err)
	}
	want := mssql.Error{Number: 50001, State: 3, Class: 16, Message: "The job does not exist.", ServerName: "ejops", ProcName: "jobs.sp_fail", LineNo: 12}
	if me.Number != want.Number || me.State != want.State || me.Class != want.Class || me.Message != want.Message ||
		me.ServerName != want.ServerName || me.ProcName != want.ProcName || me.LineNo != want.LineNo {
		t.Errorf("error = %#v, want %#v", me, want)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("Ping after error = %v", err)
	}
	// A non-terminating error and the terminating one both arrive; the last is reported.
	_, err = db.ExecContext(ctx, "warn_then_fail")
	if !errors.As(err, &me) || me.Number != 50000 || len(me.All) != 2 || me.All[0].Number != 515 {
		t.Errorf("Exec(warn_then_fail) = %#v", err)
	}
	// Batch errors.
	_, err = db.ExecContext(ctx, "this is not sql")
	if !errors.As(err, &me) || me.Number != 102 || me.Class != 15 || me.LineNo != 1 {
		t.Errorf("batch error = %#v", err)
	}
	// A reply that cannot be encoded becomes an error, not a broken stream.
	_, err = db.ExecContext(ctx, "bad overflow")
	if !errors.As(err, &me) || me.Number != errNumEncode {
		t.Errorf("overflow error = %#v", err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("Ping after errors = %v", err)
	}
	if n := env.h.snapshot().logins; n != 1 {
		t.Errorf("logins = %d, want 1 (connection reused)", n)
	}
}

func TestTransactions(t *testing.T) {
	env := startServer(t)
	db := env.open(t, "")
	db.SetMaxOpenConns(1)
	ctx := ctxT(t)

	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "count"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
	tx, err = db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("Rollback() = %v", err)
	}
	h := env.h.snapshot()
	if fmt.Sprint(h.begins) != "[4 0]" || h.commits != 1 || h.rollbacks != 1 {
		t.Errorf("begins %v commits %d rollbacks %d", h.begins, h.commits, h.rollbacks)
	}

	// A procedure error that rolls back the transaction: the driver sees the server abort it.
	tx, err = db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "abort"); err == nil {
		t.Fatal("Exec(abort) succeeded")
	}
	_, err = tx.ExecContext(ctx, "count")
	if err == nil || !strings.Contains(err.Error(), "aborted by the server") {
		t.Errorf("Exec after abort = %v, want aborted by the server", err)
	}
	if err := tx.Commit(); err == nil || !strings.Contains(err.Error(), "aborted by the server") {
		t.Errorf("Commit after abort = %v", err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("Ping after abort = %v", err)
	}
}
