package targets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

// Queries sent to target servers, as the catalog views and functions of Azure SQL Database
// document them: "sys.databases (Transact-SQL)", "sys.database_service_objectives", "DB_NAME",
// "USER_NAME", "HAS_PERMS_BY_NAME", "SCHEMA_ID", "OBJECT_ID", "COL_LENGTH",
// "sys.index_columns" and "sys.columns" (https://learn.microsoft.com/sql/relational-databases/system-catalog-views/
// and https://learn.microsoft.com/sql/t-sql/functions/).
const (
	queryServer = `SELECT d.name, so.elastic_pool_name FROM sys.databases AS d LEFT JOIN sys.database_service_objectives AS so ON so.database_id = d.database_id WHERE d.name <> N'master' ORDER BY d.name`
	queryPool   = `SELECT d.name, so.elastic_pool_name FROM sys.databases AS d JOIN sys.database_service_objectives AS so ON so.database_id = d.database_id WHERE so.elastic_pool_name = @pool ORDER BY d.name`
	queryUser   = `SELECT DB_NAME(), USER_NAME(), HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CONNECT')`
	queryTable  = `SELECT SCHEMA_ID(@schema), OBJECT_ID(@table), COL_LENGTH(@table, 'internal_execution_id'), HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CREATE TABLE'), HAS_PERMS_BY_NAME(@schema, 'SCHEMA', 'ALTER')`
	queryIndex  = `SELECT COUNT(*) FROM sys.index_columns AS ic JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id WHERE ic.object_id = OBJECT_ID(@table) AND c.name = N'internal_execution_id'`
)

// SQL Server's error numbers of a failed login: "Database engine events and errors"
// (https://learn.microsoft.com/sql/relational-databases/errors-events/database-engine-events-and-errors).
const (
	errLoginFailed  = 18456 // Login failed for user '%.*ls'.
	errCannotOpenDB = 4060  // Cannot open database "%.*ls" requested by the login. The login failed.
	errFirewall     = 40615 // Azure SQL Database: the client's IP address is not allowed by the firewall
)

// Client speaks to target servers over TDS through go-mssqldb: one connection per listing or
// check, closed after it, each bounded by Timeout.
type Client struct {
	Map     Map
	Timeout time.Duration // each connection, its login and queries included; 0: none
	AppName string        // the application name servers log

	connections, queries atomic.Int64
}

// Stats counts what a Client sent: connections (each a prelogin and a login request) and queries.
type Stats struct {
	Connections int64
	Queries     int64
}

// RoundTrips is the number of requests awaiting an answer: a prelogin and a login per connection,
// and one per query.
func (s Stats) RoundTrips() int64 { return 2*s.Connections + s.Queries }

// Stats returns the counts so far.
func (c *Client) Stats() Stats {
	return Stats{Connections: c.connections.Load(), Queries: c.queries.Load()}
}

// ListDatabases implements Servers.
func (c *Client) ListDatabases(ctx context.Context, server, pool string, login Login) ([]Listed, *Failure) {
	var listed []Listed
	f := c.session(ctx, server, "master", login, func(ctx context.Context, conn *sql.Conn) *Failure {
		q, args := queryServer, []any(nil)
		if pool != "" {
			q, args = queryPool, []any{sql.Named("pool", pool)}
		}
		rows, err := c.query(ctx, conn, q, args...)
		if err != nil {
			return &Failure{Stage: StageList, Message: err.Error()}
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			var p sql.NullString
			if err := rows.Scan(&n, &p); err != nil {
				return &Failure{Stage: StageList, Message: err.Error()}
			}
			if !strings.EqualFold(n, "master") {
				listed = append(listed, Listed{Name: n, ElasticPool: p.String})
			}
		}
		if err := rows.Err(); err != nil {
			return &Failure{Stage: StageList, Message: err.Error()}
		}
		return nil
	})
	return listed, f
}

// CheckDatabase implements Servers.
func (c *Client) CheckDatabase(ctx context.Context, server, database string, login Login) *Failure {
	return c.session(ctx, server, database, login, func(ctx context.Context, conn *sql.Conn) *Failure {
		var db, user sql.NullString
		var perm sql.NullInt64
		if err := c.row(ctx, conn, queryUser).Scan(&db, &user, &perm); err != nil {
			return &Failure{Stage: StageConnect, Message: err.Error()}
		}
		if perm.Int64 != 1 {
			return &Failure{Stage: StageConnect, Message: fmt.Sprintf("user %s has no CONNECT permission on the database", user.String)}
		}
		return nil
	})
}

// CheckOutput implements Servers: the schema exists, and the table exists with an
// internal_execution_id column and an index on it, or does not exist and the user may create it.
func (c *Client) CheckOutput(ctx context.Context, o runner.DesiredOutput, login Login) *Failure {
	table := jobdb.QuoteName(o.Schema) + "." + jobdb.QuoteName(o.Table)
	return c.session(ctx, o.Server, o.Database, login, func(ctx context.Context, conn *sql.Conn) *Failure {
		var schemaID, objectID, colLen, create, alter sql.NullInt64
		err := c.row(ctx, conn, queryTable, sql.Named("schema", o.Schema), sql.Named("table", table)).Scan(&schemaID, &objectID, &colLen, &create, &alter)
		switch {
		case err != nil:
			return &Failure{Stage: StageOutput, Message: err.Error()}
		case !schemaID.Valid:
			return &Failure{Stage: StageOutput, Message: fmt.Sprintf("schema %s does not exist", o.Schema)}
		case !objectID.Valid && (create.Int64 != 1 || alter.Int64 != 1):
			return &Failure{Stage: StageOutput, Message: fmt.Sprintf("table %s does not exist, and the user may not create it (CREATE TABLE on the database and ALTER on schema %s)", table, o.Schema)}
		case !objectID.Valid:
			return nil // the agent creates it
		case !colLen.Valid:
			return &Failure{Stage: StageOutput, Message: fmt.Sprintf("table %s has no internal_execution_id column", table)}
		}
		var n int64
		if err := c.row(ctx, conn, queryIndex, sql.Named("table", table)).Scan(&n); err != nil {
			return &Failure{Stage: StageOutput, Message: err.Error()}
		}
		if n == 0 {
			return &Failure{Stage: StageOutput, Message: fmt.Sprintf("table %s has no index on internal_execution_id", table)}
		}
		return nil
	})
}

// session connects to database on server as login, runs fn and closes the connection, the whole
// bounded by Timeout. Failures never hold the password.
func (c *Client) session(ctx context.Context, server, database string, login Login, fn func(context.Context, *sql.Conn) *Failure) (f *Failure) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	defer func() {
		if f != nil {
			f.Message = redact(f.Message, login.Password)
		}
	}()
	connector, err := c.connector(server, database, login)
	if err != nil {
		return &Failure{Stage: StageReachable, Message: err.Error()}
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	c.connections.Add(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return c.connectFailure(ctx, err)
	}
	defer conn.Close()
	if f := fn(ctx, conn); f != nil {
		if ctx.Err() != nil {
			return c.timeoutFailure(ctx, f.Stage)
		}
		return f
	}
	return nil
}

func (c *Client) query(ctx context.Context, conn *sql.Conn, q string, args ...any) (*sql.Rows, error) {
	c.queries.Add(1)
	return conn.QueryContext(ctx, q, args...)
}

func (c *Client) row(ctx context.Context, conn *sql.Conn, q string, args ...any) *sql.Row {
	c.queries.Add(1)
	return conn.QueryRowContext(ctx, q, args...)
}

// connector builds the connection's configuration without a connection string holding the
// password: the password is set on the parsed configuration.
func (c *Client) connector(server, database string, login Login) (*mssql.Connector, error) {
	host, port, mapped := c.Map.address(server)
	q := url.Values{}
	q.Set("database", database)
	if mapped {
		q.Set("encrypt", "disable")
	} else {
		q.Set("encrypt", "true")
	}
	if c.AppName != "" {
		q.Set("app name", c.AppName)
	}
	u := url.URL{Scheme: "sqlserver", User: url.User(login.User), Host: net.JoinHostPort(host, strconv.Itoa(port)), RawQuery: q.Encode()}
	cfg, err := msdsn.Parse(u.String())
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", server, err)
	}
	cfg.Password = login.Password
	cfg.DisableRetry = true
	if c.Timeout > 0 {
		// Each read and write of the connection: a server that accepts TCP and never answers
		// times out in the prelogin.
		cfg.DialTimeout, cfg.ConnTimeout = c.Timeout, c.Timeout
	}
	return mssql.NewConnectorConfig(cfg), nil
}

// connectFailure classifies a failed connection: the login refused (the user or the database
// missing) or the server not reached.
func (c *Client) connectFailure(ctx context.Context, err error) *Failure {
	var e mssql.Error
	if errors.As(err, &e) {
		all := e.All
		if len(all) == 0 {
			all = []mssql.Error{e}
		}
		for _, x := range all {
			if x.Number == errCannotOpenDB {
				return &Failure{Stage: StageLogin, Message: "database missing: " + loginMessage(x)}
			}
		}
		for _, x := range all {
			if x.Number == errLoginFailed {
				return &Failure{Stage: StageLogin, Message: "user missing or wrong password: " + loginMessage(x)}
			}
		}
		stage := StageLogin
		if e.Number == errFirewall {
			stage = StageReachable
		}
		return &Failure{Stage: stage, Message: loginMessage(e)}
	}
	var ne net.Error
	if ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
		return c.timeoutFailure(ctx, StageReachable)
	}
	return &Failure{Stage: StageReachable, Message: err.Error()}
}

// timeoutFailure is a connection that ran out of time, or was interrupted, at stage.
func (c *Client) timeoutFailure(ctx context.Context, stage string) *Failure {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &Failure{Stage: stage, Message: "canceled"}
	}
	return &Failure{Stage: stage, Message: fmt.Sprintf("no answer within %s", c.Timeout)}
}

// loginMessage is the server's message without go-mssqldb's "login error: " prefix.
func loginMessage(e mssql.Error) string {
	return fmt.Sprintf("Msg %d: %s", e.Number, strings.TrimPrefix(e.Message, "login error: "))
}

// redact keeps a password out of a message, should a driver or server ever repeat it.
func redact(msg, password string) string {
	if password == "" {
		return msg
	}
	for _, p := range []string{password, url.QueryEscape(password), url.PathEscape(password)} {
		msg = strings.ReplaceAll(msg, p, "(redacted)")
	}
	return msg
}
