package sqlexec

import (
	"strings"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Permissions. The owner login holds CONTROL on the job database, as its administrator does. The
// reader login (Options.Reader) stands for a database user in the jobs_reader role: it may read
// the jobs views but holds no CONTROL, so it sees no rows in sys.database_scoped_credentials: [D]
// the view "requires CONTROL permission on the database" ("sys.database_scoped_credentials
// (Transact-SQL)", https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-database-scoped-credentials-transact-sql;
// catalog views show only the metadata a user has some permission on, "Metadata visibility
// configuration", https://learn.microsoft.com/sql/relational-databases/security/metadata-visibility-configuration),
// [I] so a user without it gets no rows rather than an error. Every write by the reader is denied.

// hasPermsByName is HAS_PERMS_BY_NAME(securable, securable_class, permission [, sub-securable
// [, sub-securable_class]]): 1 when the login holds the permission, 0 when not, NULL when the
// class or permission is not valid ("HAS_PERMS_BY_NAME (Transact-SQL)",
// https://learn.microsoft.com/sql/t-sql/functions/has-perms-by-name-transact-sql). [D] A
// NULL securable of class DATABASE is the current database. [I] The emulator knows the DATABASE
// class of its own database only: another class or database gives NULL. The owner holds every
// permission (CONTROL implies all); the reader holds CONNECT (and so ANY) and nothing else.
func hasPermsByName(b *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	if a[1] == nil || a[2] == nil {
		return nil, nil
	}
	class, _ := toString(a[1])
	perm, _ := toString(a[2])
	if !strings.EqualFold(class, "DATABASE") {
		return nil, nil
	}
	if a[0] != nil {
		if db, _ := toString(a[0]); !strings.EqualFold(db, b.s.h.database) {
			return nil, nil
		}
	}
	switch {
	case !b.s.reader:
		return int64(1), nil
	case strings.EqualFold(perm, "CONNECT"), strings.EqualFold(perm, "ANY"):
		return int64(1), nil
	}
	return int64(0), nil
}

// hiddenFromReader reports whether the reader sees none of the rows of a relation.
func hiddenFromReader(t TableRef) bool {
	return strings.EqualFold(tableName(t), "sys.database_scoped_credentials")
}

// readerDenied returns the error a write by the reader login gets, or nil for a statement it may
// run. [U] The numbers and texts are SQL Server's permission errors as commonly reported; the
// emulator's tests pin them, not a real job database.
func (s *Session) readerDenied(st Stmt) *sqlval.Error {
	deny := func(num int32, class uint8, format string, args ...any) *sqlval.Error {
		e := sqlval.Errorf(num, format, args...)
		e.Class = class
		return e
	}
	onObject := func(perm string, t TableRef) *sqlval.Error {
		schema := t.Schema
		if schema == "" {
			schema = "dbo"
		}
		return deny(229, 14, "The %s permission was denied on the object '%s', database '%s', schema '%s'.", perm, t.Name, s.h.database, schema)
	}
	switch x := st.(type) {
	case *InsertStmt:
		return onObject("INSERT", x.Table)
	case *UpdateStmt:
		return onObject("UPDATE", x.Table)
	case *DeleteStmt:
		return onObject("DELETE", x.Table)
	case *CreateTableStmt:
		return deny(262, 14, "CREATE TABLE permission denied in database '%s'.", s.h.database)
	case *CreateSchemaStmt:
		return deny(262, 14, "CREATE SCHEMA permission denied in database '%s'.", s.h.database)
	case *DropTableStmt:
		return deny(3701, 11, "Cannot drop the table '%s', because it does not exist or you do not have permission.", x.Tables[0].Name)
	case *MasterKeyStmt, *CredentialStmt:
		return deny(15247, 16, "User does not have permission to perform this action.")
	}
	return nil
}

// readerDeniedProc returns the error the reader login gets for executing a procedure (lower-case
// schema.name), or nil: it may run the system procedures everyone may run, not the jobs schema's.
func (s *Session) readerDeniedProc(norm string) *sqlval.Error {
	schema, name, ok := strings.Cut(norm, ".")
	if !ok || schema != "jobs" {
		return nil
	}
	e := sqlval.Errorf(229, "The EXECUTE permission was denied on the object '%s', database '%s', schema '%s'.", name, s.h.database, schema)
	e.Class = 14
	return e
}
