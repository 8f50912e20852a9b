package targetdb

import (
	"context"
	"strings"

	"github.com/ejops/ejops/emulator/internal/agent"
	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

var _ agent.Executor = (*Databases)(nil)

// lookup opens database of the fleet server named server, or fails as a login to it would.
func (d *Databases) lookup(server, database string) (*database, *sqlval.Error) {
	srv := d.fleet().Server(server)
	if srv == nil { // [U] a server the fleet lacks fails as one that does not answer
		return nil, sqlval.Errorf(11001, "%s", agent.NetworkError)
	}
	found := strings.EqualFold(database, Master)
	if !found {
		_, _, found = srv.Database(database)
	}
	if !found {
		e := sqlval.Errorf(4060, "Cannot open database \"%s\" requested by the login. The login failed.", database)
		e.Class = 11
		return nil, e
	}
	return d.open(srv, database)
}

// Run runs the batches in database of server as user (the agent's Executor), stopping at the
// first error, terminating or not, and returns the first result set.
func (d *Databases) Run(ctx context.Context, server, database, user string, batches []string) (*sqlval.ResultSet, *sqlval.Error) {
	db, err := d.lookup(server, database)
	if err != nil {
		return nil, err
	}
	s := db.handler.NewSession(user)
	defer s.Close()
	var first *sqlval.ResultSet
	for _, b := range batches {
		rep := s.Batch(ctx, b)
		for _, it := range rep.Items {
			switch {
			case it.Kind == sqlval.ItemError:
				return nil, it.Err
			case it.Kind == sqlval.ItemResultSet && first == nil:
				first = it.Set
			}
		}
		if rep.Err != nil {
			return nil, rep.Err
		}
	}
	return first, nil
}

// internalExecutionID is the column the agent adds to every output table.
const internalExecutionID = "internal_execution_id"

// Output appends the rows of rs to schema.table in database of server (the agent's Executor),
// each with internal_execution_id id, creating the table from rs's columns and a uniqueidentifier
// internal_execution_id column when it does not exist. Rows go by column name.
func (d *Databases) Output(ctx context.Context, server, database, schema, table string, id sqlval.UUID, rs *sqlval.ResultSet) *sqlval.Error {
	db, err := d.lookup(server, database)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(rs.Columns)+1)
	for _, c := range rs.Columns {
		if c.Name == "" {
			// [I] SQL Server's text for a result set column without a name, where a table needs one.
			return sqlval.Errorf(1038, "An object or column name is missing or empty. For SELECT INTO statements, verify each column has a name.")
		}
		names = append(names, c.Name)
	}
	s := db.store.NewSession()
	defer s.Close()
	s.SetContext(ctx)
	name := schema + "." + table
	if _, rerr := s.Relation(name); rerr != nil {
		cols := make([]jobstore.ColumnDef, 0, len(rs.Columns)+1)
		for _, c := range rs.Columns {
			t := c
			t.Nullable = true
			cols = append(cols, jobstore.ColumnDef{Name: c.Name, Type: t})
		}
		cols = append(cols, jobstore.ColumnDef{Name: internalExecutionID, Type: sqlval.Column{Name: internalExecutionID, Type: sqlval.GUID}})
		if err := s.CreateTable(schema, table, cols); err != nil {
			return err
		}
	}
	rows := make([][]sqlval.Value, len(rs.Rows))
	for i, r := range rs.Rows {
		rows[i] = append(append(make([]sqlval.Value, 0, len(r)+1), r...), id)
	}
	_, err = s.Insert(name, append(names, internalExecutionID), rows)
	return err
}
