package targetdb

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ejops/ejops/emulator/internal/agent"
	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlexec"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Master is the database every logical server has.
const Master = "master"

// firstUserDatabaseID is the database_id of a server's first user database; master is 1. [I]
const firstUserDatabaseID = 5

// Databases holds the contents of the fleet's databases, each in a store of its own created when
// first used, and numbers them per server. It reads the current fleet at every use, so a database
// added to the fleet file is there once the file is reloaded.
type Databases struct {
	fleet func() *agent.Fleet
	now   func() time.Time

	mu     sync.Mutex
	dbs    map[string]*database // by dbKey
	ids    map[string]int64     // database_id by dbKey
	next   map[string]int64     // next database_id by lower-case server name
	closed bool
}

// database is one database's store and the T-SQL handler that serves it.
type database struct {
	store   *jobstore.DB
	handler *sqlexec.Handler
}

// New returns the databases of the fleet that fleet returns (nil: no fleet); now is the clock of
// their stores (nil: sqlval.Now).
func New(fleet func() *agent.Fleet, now func() time.Time) *Databases {
	return &Databases{fleet: fleet, now: now, dbs: map[string]*database{}, ids: map[string]int64{}, next: map[string]int64{}}
}

func dbKey(server, database string) string {
	return strings.ToLower(server) + "/" + strings.ToLower(database)
}

// databaseID returns the database_id of a database of srv, numbering it when first seen.
func (d *Databases) databaseID(srv *agent.Server, name string) int64 {
	if strings.EqualFold(name, Master) {
		return 1
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	k := dbKey(srv.Name, name)
	if id, ok := d.ids[k]; ok {
		return id
	}
	s := strings.ToLower(srv.Name)
	if d.next[s] == 0 {
		d.next[s] = firstUserDatabaseID
	}
	id := d.next[s]
	d.next[s]++
	d.ids[k] = id
	return id
}

// open returns the store of database name (master or a database of the fleet's server srv) and
// creates the tables the fleet declares for it that do not exist yet.
func (d *Databases) open(srv *agent.Server, name string) (*database, *sqlval.Error) {
	decl, _, _ := srv.Database(name)
	if strings.EqualFold(name, Master) {
		name = Master
	} else {
		name = decl.Name
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, sqlval.Errorf(40613, "Database '%s' on server '%s' is not currently available.", name, srv.Name)
	}
	k := dbKey(srv.Name, name)
	db := d.dbs[k]
	if db == nil {
		store, err := jobstore.Open(jobstore.Options{Now: d.now, Database: name})
		if err != nil {
			d.mu.Unlock()
			return nil, sqlval.Errorf(40613, "Database '%s' on server '%s' is not currently available: %v", name, srv.Name, err)
		}
		cat := &catalog{dbs: d, server: srv.Name, database: name}
		db = &database{store: store, handler: sqlexec.NewHandler(store, sqlexec.Options{Database: name, ServerName: serverShortName(srv.Name), Now: d.now, Catalog: cat})}
		d.dbs[k] = db
	}
	d.mu.Unlock()
	return db, createTables(db.store, decl.Tables)
}

// serverShortName is what @@SERVERNAME answers on Azure SQL Database: the server's name without
// the .database.windows.net suffix. [I]
func serverShortName(name string) string {
	if i := strings.IndexByte(name, '.'); i > 0 {
		return name[:i]
	}
	return name
}

// createTables creates the declared tables that do not exist. [I] internal_execution_id is a
// uniqueidentifier, as the agent writes it; every other column is nvarchar(4000) NULL.
func createTables(store *jobstore.DB, tables []agent.Table) *sqlval.Error {
	if len(tables) == 0 {
		return nil
	}
	s := store.NewSession()
	defer s.Close()
	for _, t := range tables {
		if _, err := s.Relation(t.Schema + "." + t.Name); err == nil {
			continue
		}
		if err := s.CreateSchema(t.Schema); err != nil && err.Number != 2714 {
			return err
		}
		cols := make([]jobstore.ColumnDef, len(t.Columns))
		for i, c := range t.Columns {
			cols[i] = jobstore.ColumnDef{Name: c, Type: sqlval.Column{Name: c, Type: sqlval.NVarChar, Size: 4000, Nullable: true}}
			if strings.EqualFold(c, "internal_execution_id") {
				cols[i].Type = sqlval.Column{Name: c, Type: sqlval.GUID}
			}
		}
		if err := s.CreateTable(t.Schema, t.Name, cols); err != nil && err.Number != 2714 {
			return err
		}
	}
	return nil
}

// Close closes every store; later logins fail.
func (d *Databases) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	var errs []error
	for k, db := range d.dbs {
		if err := db.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}
