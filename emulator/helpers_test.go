package emulator

import (
	"database/sql"
	"errors"
	"net"
	"testing"

	mssql "github.com/microsoft/go-mssqldb"
)

// start runs an emulator on loopback TCP and returns it with a database handle.
func start(t testing.TB, opts Options) (*Emulator, *sql.DB) {
	t.Helper()
	e, addr := listen(t, opts)
	db, err := sql.Open("sqlserver", e.DSN(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return e, db
}

// listen runs an emulator on loopback TCP until the test ends and returns it with its address.
func listen(t testing.TB, opts Options) (*Emulator, net.Addr) {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	addr, err := e.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return e, addr
}

// sqlErr returns the SQL Server error number of err, or 0.
func sqlErr(err error) (int32, string, int32) {
	var me mssql.Error
	if errors.As(err, &me) {
		return me.Number, me.Message, me.LineNo
	}
	return 0, "", 0
}

func wantErr(t testing.TB, err error, number int32, msg string) {
	t.Helper()
	n, m, _ := sqlErr(err)
	if n != number || (msg != "" && m != msg) {
		t.Fatalf("error = %v (number %d, message %q), want %d %q", err, n, m, number, msg)
	}
}
