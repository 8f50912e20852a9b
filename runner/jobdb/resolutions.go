package jobdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// TargetDatabase is a database a target group resolves to.
type TargetDatabase struct {
	Server      string `json:"server"`
	Database    string `json:"database"`
	ElasticPool string `json:"elasticPool,omitempty"` // when an elastic pool member found it
}

// Resolution is the last resolution of a target group that ejops targets recorded for a scope.
type Resolution struct {
	Group      string
	Databases  []TargetDatabase
	ResolvedAt time.Time
}

// ResolutionsDDL creates ejops' table of target group resolutions, one row per scope and group
// with its databases as a JSON array; CREATE SCHEMA must run in a batch of its own.
var ResolutionsDDL = []string{
	"CREATE SCHEMA ejops",
	`CREATE TABLE ejops.target_resolutions (
    scope nvarchar(128) NOT NULL,
    target_group nvarchar(128) NOT NULL,
    databases nvarchar(max) NOT NULL,
    resolved_at datetime2 NOT NULL,
    PRIMARY KEY (scope, target_group)
)`,
}

const readResolutions = `SET NOCOUNT ON;
SELECT SCHEMA_ID(N'ejops') AS schema_id, OBJECT_ID(N'ejops.target_resolutions') AS object_id;
IF OBJECT_ID(N'ejops.target_resolutions') IS NOT NULL SELECT target_group, databases, resolved_at FROM ejops.target_resolutions WHERE scope = @scope ORDER BY target_group;`

// Resolutions holds the recorded resolutions of a scope, and whether ejops' schema and table exist.
type Resolutions struct {
	HasSchema, HasTable bool
	Groups              []Resolution
}

// Find returns the recorded resolution of a group (names compare case-insensitively).
func (r *Resolutions) Find(group string) (Resolution, bool) {
	for _, g := range r.Groups {
		if strings.EqualFold(g.Group, group) {
			return g, true
		}
	}
	return Resolution{}, false
}

// ReadResolutions reads the resolutions recorded for scope in one round trip.
func (db *DB) ReadResolutions(ctx context.Context, scope string) (*Resolutions, error) {
	out := &Resolutions{}
	err := db.op(ctx, func(ctx context.Context) error {
		rows, err := db.sql.QueryContext(ctx, readResolutions, sql.Named("scope", scope))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var schemaID, objectID sql.NullInt64
			if err := rows.Scan(&schemaID, &objectID); err != nil {
				return err
			}
			out.HasSchema, out.HasTable = schemaID.Valid, objectID.Valid
		}
		if rows.NextResultSet() {
			for rows.Next() {
				var r Resolution
				var dbs string
				if err := rows.Scan(&r.Group, &dbs, &r.ResolvedAt); err != nil {
					return err
				}
				if err := json.Unmarshal([]byte(dbs), &r.Databases); err != nil {
					return fmt.Errorf("target group %s: %w", r.Group, err)
				}
				r.ResolvedAt = r.ResolvedAt.UTC()
				out.Groups = append(out.Groups, r)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read recorded target resolutions: %w", err)
	}
	return out, nil
}

// resolutionsPerBatch keeps a batch of SaveResolutions within SQL Server's 2,100 parameters
// ("Maximum capacity specifications for SQL Server"): three per group and the scope.
const resolutionsPerBatch = 600

// saveResolutionBatch replaces the rows of the groups of rs in one request.
func saveResolutionBatch(ctx context.Context, tx *sql.Tx, scope string, rs []Resolution) error {
	var b strings.Builder
	args := []any{sql.Named("scope", scope)}
	for i, r := range rs {
		dbs := r.Databases
		if dbs == nil {
			dbs = []TargetDatabase{}
		}
		js, err := json.Marshal(dbs)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "DELETE FROM ejops.target_resolutions WHERE scope = @scope AND target_group = @g%d;\n", i)
		fmt.Fprintf(&b, "INSERT INTO ejops.target_resolutions (scope, target_group, databases, resolved_at) VALUES (@scope, @g%d, @d%d, @t%d);\n", i, i, i)
		args = append(args, sql.Named(fmt.Sprintf("g%d", i), r.Group), sql.Named(fmt.Sprintf("d%d", i), string(js)),
			sql.Named(fmt.Sprintf("t%d", i), r.ResolvedAt.UTC()))
	}
	_, err := tx.ExecContext(ctx, b.String(), args...)
	return err
}

// SaveResolutions records the resolutions of scope's groups, replacing what was recorded for
// them, in one transaction; the table (and ejops' schema) is created when have says it is missing.
func (db *DB) SaveResolutions(ctx context.Context, scope string, have *Resolutions, rs []Resolution) error {
	if len(rs) == 0 {
		return nil
	}
	err := db.op(ctx, func(ctx context.Context) error {
		tx, err := db.sql.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for i, missing := range []bool{!have.HasSchema, !have.HasTable} {
			if missing {
				if _, err := tx.ExecContext(ctx, "EXEC sp_executesql "+QuoteString(ResolutionsDDL[i])); err != nil {
					return err
				}
			}
		}
		for len(rs) > 0 {
			n := min(len(rs), resolutionsPerBatch)
			if err := saveResolutionBatch(ctx, tx, scope, rs[:n]); err != nil {
				return err
			}
			rs = rs[n:]
		}
		return tx.Commit()
	})
	if err != nil {
		return fmt.Errorf("record target resolutions: %w", err)
	}
	return nil
}
