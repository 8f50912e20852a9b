package sqlexec

import (
	"strings"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Roles of a login, as the job database's documented roles name them. [D] A job database has the
// database roles jobs_reader (read-only access to the jobs views) and jobs_admin (read-only access
// to the views and EXECUTE on the jobs procedures); an administrator holding CONTROL manages the
// credentials and the master key ("Elastic jobs in Azure SQL Database",
// https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-overview, section "Job
// database permissions"; "Create, configure, and manage elastic jobs",
// https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-manage).
const (
	RoleOwner  = "owner"       // the database's administrator: CONTROL, every permission
	RoleAdmin  = "jobs_admin"  // reads the views, executes the jobs procedures
	RoleReader = "jobs_reader" // reads the views
)

// IsRole reports whether role is one of RoleOwner, RoleAdmin and RoleReader.
func IsRole(role string) bool {
	return role == RoleOwner || role == RoleAdmin || role == RoleReader
}

// Login is one login the emulator serves and the role of its database user.
type Login struct {
	Name, Password, Role string
}

// Permissions. Only the owner holds CONTROL on the job database; a login without it sees no rows
// in sys.database_scoped_credentials: [D] the view "requires CONTROL permission on the database"
// ("sys.database_scoped_credentials (Transact-SQL)", https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-database-scoped-credentials-transact-sql;
// catalog views show only the metadata a user has some permission on, "Metadata visibility
// configuration", https://learn.microsoft.com/sql/relational-databases/security/metadata-visibility-configuration),
// [I] so a user without it gets no rows rather than an error.
//
// Assumed [I]: jobs_admin may also write the tables of the job database's other schemas (ejops
// keeps its inventory there, granted by the administrator), but neither create nor drop tables or
// schemas; jobs_reader writes nothing.

// hasPermsByName is HAS_PERMS_BY_NAME(securable, securable_class, permission [, sub-securable
// [, sub-securable_class]]): 1 when the login holds the permission, 0 when not, NULL when the
// class or permission is not valid ("HAS_PERMS_BY_NAME (Transact-SQL)",
// https://learn.microsoft.com/sql/t-sql/functions/has-perms-by-name-transact-sql). [D] A
// NULL securable of class DATABASE is the current database. [I] The emulator knows the DATABASE
// class of its own database and the SCHEMA class only: another class or database gives NULL. The owner holds every
// permission (CONTROL implies all); the other roles hold CONNECT (and so ANY) on the database,
// their grants being on the jobs schema.
func hasPermsByName(b *batch, _ *FuncCall, a []sqlval.Value) (sqlval.Value, *sqlval.Error) {
	if a[1] == nil || a[2] == nil {
		return nil, nil
	}
	class, _ := toString(a[1])
	perm, _ := toString(a[2])
	if strings.EqualFold(class, "SCHEMA") {
		// [I] Only the owner holds permissions on a schema: the other roles' grants are on the
		// jobs schema's objects.
		if b.s.role == RoleOwner {
			return int64(1), nil
		}
		return int64(0), nil
	}
	if !strings.EqualFold(class, "DATABASE") {
		return nil, nil
	}
	if a[0] != nil {
		if db, _ := toString(a[0]); !strings.EqualFold(db, b.s.h.database) {
			return nil, nil
		}
	}
	switch {
	case b.s.role == RoleOwner:
		return int64(1), nil
	case strings.EqualFold(perm, "CONNECT"), strings.EqualFold(perm, "ANY"):
		return int64(1), nil
	}
	return int64(0), nil
}

// hidden reports whether the session's login sees none of the rows of a relation.
func (s *Session) hidden(t TableRef) bool {
	return s.role != RoleOwner && strings.EqualFold(tableName(t), "sys.database_scoped_credentials")
}

// permissionDenied builds a permission error.
func permissionDenied(num int32, class uint8, format string, args ...any) *sqlval.Error {
	e := sqlval.Errorf(num, format, args...)
	e.Class = class
	return e
}

// objectDenied is Msg 229 for a permission on an object.
func (s *Session) objectDenied(perm, schema, name string) *sqlval.Error {
	if schema == "" {
		schema = "dbo"
	}
	return permissionDenied(229, 14, "The %s permission was denied on the object '%s', database '%s', schema '%s'.", perm, name, s.h.database, schema)
}

// denied returns the error a statement gets from the session's role, or nil when it may run
// it. [U] The numbers and texts are SQL Server's permission errors as commonly reported (229,
// 262, 3701, 15247); the emulator's tests pin them, not a real job database.
func (s *Session) denied(st Stmt) *sqlval.Error {
	if s.role == RoleOwner {
		return nil
	}
	reader := s.role == RoleReader
	switch x := st.(type) {
	case *InsertStmt:
		if reader {
			return s.objectDenied("INSERT", x.Table.Schema, x.Table.Name)
		}
	case *UpdateStmt:
		if reader {
			return s.objectDenied("UPDATE", x.Table.Schema, x.Table.Name)
		}
	case *DeleteStmt:
		if reader {
			return s.objectDenied("DELETE", x.Table.Schema, x.Table.Name)
		}
	case *CreateTableStmt:
		return permissionDenied(262, 14, "CREATE TABLE permission denied in database '%s'.", s.h.database)
	case *CreateSchemaStmt:
		return permissionDenied(262, 14, "CREATE SCHEMA permission denied in database '%s'.", s.h.database)
	case *DropTableStmt:
		return permissionDenied(3701, 11, "Cannot drop the table '%s', because it does not exist or you do not have permission.", x.Tables[0].Name)
	case *MasterKeyStmt, *CredentialStmt:
		return permissionDenied(15247, 16, "User does not have permission to perform this action.")
	}
	return nil
}

// deniedProc returns the error the session's role gets for executing a procedure (lower-case
// schema.name), or nil: everyone may run the system procedures everyone may run; the jobs
// schema's need jobs_admin or the owner.
func (s *Session) deniedProc(norm string) *sqlval.Error {
	schema, name, ok := strings.Cut(norm, ".")
	if !ok || schema != "jobs" || s.role != RoleReader {
		return nil
	}
	return s.objectDenied("EXECUTE", schema, name)
}
