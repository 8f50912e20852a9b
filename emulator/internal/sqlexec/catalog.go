package sqlexec

import (
	"hash/fnv"
	"strings"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Catalog makes a Handler serve a database other than the job database: a target database of
// the agent simulation, kept in a store of its own. Such a database has no jobs schema (its views,
// tables and procedures are not found and sys.schemas leaves the schema out), its database user
// is named as the login (USER_NAME()), and the Catalog serves the system views the store lacks.
type Catalog interface {
	// Relation returns the rows of a system view by lower-case schema.name, reading the
	// database's tables through s; ok is false for a name the catalog does not serve.
	Relation(s *jobstore.Session, name string) (rel *jobstore.Relation, err *sqlval.Error, ok bool)
}

// jobsSchemas are the schemas only a job database has.
var jobsSchemas = []string{"jobs", "jobs_internal"}

func isJobsSchema(schema string) bool {
	for _, j := range jobsSchemas {
		if strings.EqualFold(schema, j) {
			return true
		}
	}
	return false
}

// storeRelation reads a view or table by schema.name, through the handler's Catalog when it
// has one.
func (s *Session) storeRelation(name string) (*jobstore.Relation, *sqlval.Error) {
	c := s.h.catalog
	if c == nil {
		return s.db.Relation(name)
	}
	key := strings.ToLower(strings.TrimSpace(name))
	if rel, err, ok := c.Relation(s.db, key); ok {
		return rel, err
	}
	if schema, _, _ := strings.Cut(key, "."); isJobsSchema(schema) {
		return nil, sqlval.Errorf(208, "Invalid object name '%s'.", name)
	}
	rel, err := s.db.Relation(name)
	if err != nil || key != "sys.schemas" {
		return rel, err
	}
	ni := colIndex(rel.Columns, "name")
	rows := rel.Rows[:0:0]
	for _, r := range rel.Rows {
		if n, _ := r[ni].(string); !isJobsSchema(n) {
			rows = append(rows, r)
		}
	}
	rel.Rows = rows
	return rel, nil
}

// storeColumns returns the columns of a view or table, without its rows where it can.
func (s *Session) storeColumns(name string) ([]sqlval.Column, *sqlval.Error) {
	if s.h.catalog == nil {
		return s.db.RelationColumns(name)
	}
	rel, err := s.storeRelation(name)
	if err != nil {
		return nil, err
	}
	return rel.Columns, nil
}

// hasProc reports whether the session's database has the procedure (lower-case schema.name).
func (s *Session) hasProc(norm string) bool {
	if schema, _, ok := strings.Cut(norm, "."); ok && s.h.catalog != nil && isJobsSchema(schema) {
		return false
	}
	return s.db.HasProc(norm)
}

// dbUser is USER_NAME(): dbo in the job database, whose logins are its owners and role members
// [I]; the login's name in a Catalog's database [I], where each login maps to a database user of
// the same name.
func (s *Session) dbUser() string {
	if s.h.catalog != nil {
		return s.user
	}
	return "dbo"
}

// ObjectID is the object id OBJECT_ID gives the table or view schema.name: [I] a stable hash of
// the lower-case name, positive like SQL Server's user object ids.
func ObjectID(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(name)))
	return int64(h.Sum32() & 0x3fffffff)
}

// ColumnLength is the maximum length in bytes of a column of type c, as COL_LENGTH and
// sys.columns.max_length give it: -1 for nvarchar(max) and varbinary(max) ("COL_LENGTH
// (Transact-SQL)", https://learn.microsoft.com/sql/t-sql/functions/col-length-transact-sql;
// "sys.columns (Transact-SQL)", https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-columns-transact-sql).
func ColumnLength(c sqlval.Column) int64 {
	switch c.Type {
	case sqlval.NVarChar:
		if c.Size == sqlval.Max {
			return -1
		}
		return 2 * int64(c.Size)
	case sqlval.VarBinary:
		return int64(c.Size)
	case sqlval.Int:
		return 4
	case sqlval.BigInt, sqlval.Float, sqlval.DateTime2, sqlval.DateTime:
		return 8
	case sqlval.TinyInt, sqlval.Bit:
		return 1
	case sqlval.SmallInt:
		return 2
	case sqlval.GUID:
		return 16
	case sqlval.DateTimeOffset:
		return 10
	}
	return 0
}

// colLength implements COL_LENGTH(table, column): the column's length in bytes, NULL when the
// table or the column does not exist ("COL_LENGTH (Transact-SQL)",
// https://learn.microsoft.com/sql/t-sql/functions/col-length-transact-sql).
func colLength(b *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	if a[0] == nil || a[1] == nil {
		return nil, nil
	}
	table, _ := toString(a[0])
	column, _ := toString(a[1])
	ref, ok := parseObjectName(table)
	if !ok {
		return nil, nil
	}
	cols, err := b.s.storeColumns(tableName(ref))
	if err != nil {
		return nil, nil
	}
	for _, c := range cols {
		if compareStrings(c.Name, column) == 0 {
			return ColumnLength(c), nil
		}
	}
	return nil, nil
}
