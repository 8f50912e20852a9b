package tds

import (
	"database/sql"
	"testing"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func BenchmarkRPCRoundTrip(b *testing.B) {
	env := startServer(b)
	db, ctx := env.openOne(b)
	for b.Loop() {
		var v int64
		if err := db.QueryRowContext(ctx, "echo", sql.Named("v", int64(42))).Scan(&v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeResultSet(b *testing.B) {
	rs := allTypesSet()
	for range 6 {
		rs.Rows = append(rs.Rows, rs.Rows...)
	}
	tran := &tranState{next: func() uint64 { return 1 }}
	b.ReportAllocs()
	for b.Loop() {
		enc := &replyEncoder{w: &tokenWriter{}, server: "ejops", tran: tran}
		enc.encodeReply(sqlvalReply(rs), false, nil, true)
	}
}

func sqlvalReply(rs *sqlval.ResultSet) sqlval.Reply {
	return sqlval.Reply{Items: []sqlval.Item{{Kind: sqlval.ItemResultSet, Set: rs}}}
}
