package sqlexec

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// BenchmarkUpdateByKey updates one row of ejops.inventory by its primary key (scope, kind,
// name), as apply does for every changed object, on tables of 1,000 and 10,000 rows: inside one
// transaction (apply's case) and autocommitted.
func BenchmarkUpdateByKey(b *testing.B) {
	for _, rows := range []int{1000, 10000} {
		for _, mode := range []string{"transaction", "autocommit"} {
			b.Run(fmt.Sprintf("rows=%d/%s", rows, mode), func(b *testing.B) {
				s := newSession(b)
				ctx := context.Background()
				setup := []string{"CREATE SCHEMA ejops", `CREATE TABLE ejops.inventory (scope nvarchar(128) NOT NULL,
					kind nvarchar(32) NOT NULL, name nvarchar(128) NOT NULL, spec_hash nvarchar(64) NOT NULL,
					PRIMARY KEY (scope, kind, name))`}
				for i := 0; i < rows; i += 500 {
					var vals []string
					for k := i; k < i+500; k++ {
						vals = append(vals, fmt.Sprintf("(N's', N'job', N'job-%05d', N'h0')", k))
					}
					setup = append(setup, "INSERT INTO ejops.inventory VALUES "+strings.Join(vals, ", "))
				}
				for _, q := range setup {
					if rep := s.Batch(ctx, q); rep.Err != nil {
						b.Fatal(rep.Err)
					}
				}
				if mode == "transaction" {
					s.Batch(ctx, "BEGIN TRANSACTION")
				}
				update := "UPDATE ejops.inventory SET spec_hash = @hash WHERE scope = @scope AND kind = @kind AND name = @name"
				decl := "@scope nvarchar(128), @kind nvarchar(32), @name nvarchar(128), @hash nvarchar(64)"
				i := 0
				for b.Loop() {
					rep := s.RPC(ctx, "sp_executesql", []sqlval.Param{{Value: update}, {Value: decl},
						{Name: "@scope", Value: "s"}, {Name: "@kind", Value: "job"},
						{Name: "@name", Value: fmt.Sprintf("job-%05d", i%rows)}, {Name: "@hash", Value: fmt.Sprint(i)}})
					if rep.Err != nil {
						b.Fatal(rep.Err)
					}
					i++
				}
			})
		}
	}
}
