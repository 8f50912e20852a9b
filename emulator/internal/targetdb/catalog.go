package targetdb

import (
	"sort"
	"strings"

	"github.com/ejops/ejops/emulator/internal/agent"
	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlexec"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// catalog serves the system views of one database of a fleet server (sqlexec.Catalog).
type catalog struct {
	dbs      *Databases
	server   string // the fleet server's name as declared
	database string // the database's name as declared, or Master
}

var (
	tSysname = sqlval.Column{Type: sqlval.NVarChar, Size: 128}
	tInt     = sqlval.Column{Type: sqlval.Int}
	tSmall   = sqlval.Column{Type: sqlval.SmallInt}
	tTiny    = sqlval.Column{Type: sqlval.TinyInt}
	tBit     = sqlval.Column{Type: sqlval.Bit}
)

func col(name string, t sqlval.Column, nullable bool) sqlval.Column {
	t.Name, t.Nullable = name, nullable
	return t
}

var (
	databasesCols  = []sqlval.Column{col("name", tSysname, false), col("database_id", tInt, false)}
	objectivesCols = []sqlval.Column{col("database_id", tInt, false), col("edition", tSysname, false),
		col("service_objective", tSysname, false), col("elastic_pool_name", tSysname, true)}
	columnsCols = []sqlval.Column{col("object_id", tInt, false), col("name", tSysname, true), col("column_id", tInt, false),
		col("max_length", tSmall, false), col("is_nullable", tBit, true)}
	indexColumnsCols = []sqlval.Column{col("object_id", tInt, false), col("index_id", tInt, false), col("index_column_id", tInt, false),
		col("column_id", tInt, false), col("key_ordinal", tTiny, false), col("is_included_column", tBit, true)}
)

func (c *catalog) Relation(s *jobstore.Session, name string) (*jobstore.Relation, *sqlval.Error, bool) {
	switch name {
	case "sys.databases":
		return &jobstore.Relation{Columns: databasesCols, Rows: c.databaseRows(false)}, nil, true
	case "sys.database_service_objectives":
		return &jobstore.Relation{Columns: objectivesCols, Rows: c.databaseRows(true)}, nil, true
	case "sys.columns", "sys.index_columns":
		tables, err := userTables(s)
		if err != nil {
			return nil, err, true
		}
		if name == "sys.columns" {
			return &jobstore.Relation{Columns: columnsCols, Rows: columnRows(tables)}, nil, true
		}
		return &jobstore.Relation{Columns: indexColumnsCols, Rows: c.indexColumnRows(tables)}, nil, true
	}
	return nil, nil, false
}

// databaseRows lists the server's databases, master first, as sys.databases (objectives false)
// or sys.database_service_objectives (objectives true) shows them: every database in master, the
// current database and master elsewhere. Standalone databases are Standard S0, pooled ones
// Standard ElasticPool with their pool, and master System. [I] for the tiers.
func (c *catalog) databaseRows(objectives bool) [][]sqlval.Value {
	row := func(name string, id int64, pool string) []sqlval.Value {
		if !objectives {
			return []sqlval.Value{name, id}
		}
		switch {
		case id == 1:
			return []sqlval.Value{id, "System", "System", nil}
		case pool != "":
			return []sqlval.Value{id, "Standard", "ElasticPool", pool}
		}
		return []sqlval.Value{id, "Standard", "S0", nil}
	}
	rows := [][]sqlval.Value{row(Master, 1, "")}
	srv := c.dbs.fleet().Server(c.server)
	if srv == nil {
		return rows
	}
	srv.Each(func(pool string, d agent.Database) {
		if strings.EqualFold(d.Name, Master) {
			return
		}
		if c.database == Master || strings.EqualFold(d.Name, c.database) {
			rows = append(rows, row(d.Name, c.dbs.databaseID(srv, d.Name), pool))
		}
	})
	if c.database != Master && objectives {
		rows = rows[1:] // [D] outside master: the current database only
	}
	sort.SliceStable(rows, func(i, j int) bool { return rowID(rows[i], objectives) < rowID(rows[j], objectives) })
	return rows
}

func rowID(r []sqlval.Value, objectives bool) int64 {
	if objectives {
		return r[0].(int64)
	}
	return r[1].(int64)
}

// userTable is a user table of the session's database with its columns.
type userTable struct {
	schema, name string
	cols         []jobstore.ColumnDef
}

func (t userTable) objectID() int64 { return sqlexec.ObjectID(t.schema + "." + t.name) }

// userTables reads the user tables through s, in creation order.
func userTables(s *jobstore.Session) ([]userTable, *sqlval.Error) {
	schemas, err := s.Relation("sys.schemas")
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, r := range schemas.Rows {
		names[r[1].(int64)] = r[0].(string)
	}
	tables, err := s.Relation("sys.tables")
	if err != nil {
		return nil, err
	}
	out := make([]userTable, 0, len(tables.Rows))
	for _, r := range tables.Rows {
		t := userTable{schema: names[r[2].(int64)], name: r[0].(string)}
		if t.cols, err = s.TableColumns(t.schema + "." + t.name); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// columnRows is sys.columns for the user tables: one row per column, numbered from 1.
func columnRows(tables []userTable) [][]sqlval.Value {
	var rows [][]sqlval.Value
	for _, t := range tables {
		id := t.objectID()
		for i, c := range t.cols {
			rows = append(rows, []sqlval.Value{id, c.Name, int64(i + 1), sqlexec.ColumnLength(c.Type), c.Type.Nullable})
		}
	}
	return rows
}

// indexColumnRows is sys.index_columns for the user tables: the primary key is index 1 [I], the
// indexes the fleet declares for the table follow from 2 [I].
func (c *catalog) indexColumnRows(tables []userTable) [][]sqlval.Value {
	var declared []agent.Table
	if srv := c.dbs.fleet().Server(c.server); srv != nil {
		d, _, _ := srv.Database(c.database)
		declared = d.Tables
	}
	var rows [][]sqlval.Value
	for _, t := range tables {
		var indexes [][]string
		var pk []string
		for _, cd := range t.cols {
			if cd.PrimaryKey {
				pk = append(pk, cd.Name)
			}
		}
		if pk != nil {
			indexes = append(indexes, pk)
		} else {
			indexes = append(indexes, nil) // index_id 1 is the clustered index, absent here
		}
		for _, dt := range declared {
			if strings.EqualFold(dt.Schema, t.schema) && strings.EqualFold(dt.Name, t.name) {
				indexes = append(indexes, dt.Indexes...)
			}
		}
		id := t.objectID()
		for ix, cols := range indexes {
			for k, name := range cols {
				if cid := columnID(t.cols, name); cid > 0 {
					rows = append(rows, []sqlval.Value{id, int64(ix + 1), int64(k + 1), cid, int64(k + 1), false})
				}
			}
		}
	}
	return rows
}

// columnID is the 1-based position of column name, or 0.
func columnID(cols []jobstore.ColumnDef, name string) int64 {
	for i, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return int64(i + 1)
		}
	}
	return 0
}
