package emulator

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const targetsFleet = `servers:
  - name: tenants-1.database.windows.net
    databases:
      - name: scratch
      - name: reports
        logins: [job_user, report_writer]
        tables:
          - name: dbo.tenant_sizes
            columns: [internal_execution_id, database_name, data_mb]
            indexes: [[internal_execution_id]]
          - name: dbo.no_index
            columns: [internal_execution_id, data_mb]
          - name: dbo.no_id
            columns: [database_name]
    elasticPools:
      - name: pool-a
        databases: [tenant-002, tenant-001]
      - name: pool-b
        databases:
          - name: tenant-101
            logins: [someone_else]
  - name: tenants-2
    unreachable: true
    databases: [far]
`

// serveTargets starts an emulator serving the fleet src and returns it with the fleet file.
func serveTargets(t *testing.T, src string) (*Emulator, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	e, _ := listen(t, Options{Fleet: path, ServeTargets: true})
	return e, path
}

// targetDB opens a connection pool to database (master when "") of the served fleet server, as
// user; extra are more DSN parameters.
func targetDB(t *testing.T, e *Emulator, server, user, database, extra string) *sql.DB {
	t.Helper()
	addr := e.TargetAddr(server)
	if addr == nil {
		t.Fatalf("server %s is not served", server)
	}
	q := url.Values{"encrypt": {"disable"}}
	if database != "" {
		q.Set("database", database)
	}
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword(user, "any password"), Host: addr.String(), RawQuery: q.Encode()}
	if extra != "" {
		u.RawQuery += "&" + extra
	}
	db, err := sql.Open("sqlserver", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func queryNames(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The map lists every fleet server; each address answers for its server.
func TestTargetMap(t *testing.T) {
	e, _ := serveTargets(t, targetsFleet)
	m := e.TargetMap()
	pairs := strings.Split(m, ",")
	if len(pairs) != 2 || !strings.HasPrefix(pairs[0], "tenants-1.database.windows.net=127.0.0.1:") || !strings.HasPrefix(pairs[1], "tenants-2=127.0.0.1:") {
		t.Fatalf("map = %q", m)
	}
	if a, b := e.TargetAddr("TENANTS-1"), e.TargetAddr("tenants-2.database.windows.net"); a == nil || b == nil || a.String() == b.String() {
		t.Fatalf("addresses %v %v", a, b)
	}
	if _, err := New(Options{ServeTargets: true}); err == nil {
		t.Error("ServeTargets without a fleet was accepted")
	}
}

// "sys.databases (Transact-SQL)" and "sys.database_service_objectives (Azure SQL Database)": in
// master, a server's databases, standalone and pooled, and each pooled database's
// elastic_pool_name.
func TestTargetServerListsDatabases(t *testing.T) {
	e, _ := serveTargets(t, targetsFleet)
	master := targetDB(t, e, "tenants-1", "refresh_user", "", "")
	got := queryNames(t, master, "SELECT name FROM sys.databases WHERE name <> N'master' ORDER BY name")
	want := []string{"reports", "scratch", "tenant-001", "tenant-002", "tenant-101"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("databases = %q, want %q", got, want)
	}
	pool := "SELECT d.name FROM sys.databases AS d JOIN sys.database_service_objectives AS so ON so.database_id = d.database_id WHERE so.elastic_pool_name = @pool ORDER BY d.name"
	if got := queryNames(t, master, pool, sql.Named("pool", "pool-a")); !reflect.DeepEqual(got, []string{"tenant-001", "tenant-002"}) {
		t.Errorf("pool-a = %q", got)
	}
	if got := queryNames(t, master, pool, sql.Named("pool", "pool-b")); !reflect.DeepEqual(got, []string{"tenant-101"}) {
		t.Errorf("pool-b = %q", got)
	}
	var id int64
	if err := master.QueryRow("SELECT database_id FROM sys.databases WHERE name = N'master'").Scan(&id); err != nil || id != 1 {
		t.Errorf("master database_id = %d, %v", id, err)
	}
	var nulls int
	if err := master.QueryRow("SELECT COUNT(*) FROM sys.database_service_objectives WHERE elastic_pool_name IS NULL").Scan(&nulls); err != nil || nulls != 3 {
		t.Errorf("standalone databases and master: %d, %v", nulls, err)
	}
	// Outside master, sys.databases shows master and the current database.
	user := targetDB(t, e, "tenants-1", "job_user", "scratch", "")
	if got := queryNames(t, user, "SELECT name FROM sys.databases ORDER BY database_id"); !reflect.DeepEqual(got, []string{"master", "scratch"}) {
		t.Errorf("from scratch: %q", got)
	}
}

// A database added to the fleet file is listed once the file is reloaded.
func TestTargetServerSeesFleetReload(t *testing.T) {
	e, path := serveTargets(t, targetsFleet)
	master := targetDB(t, e, "tenants-1", "u", "master", "")
	if err := os.WriteFile(path, []byte(strings.Replace(targetsFleet, "      - name: scratch\n", "      - name: scratch\n      - name: added\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.ReloadFleet(); err != nil {
		t.Fatal(err)
	}
	if got := queryNames(t, master, "SELECT name FROM sys.databases WHERE name = N'added'"); len(got) != 1 {
		t.Errorf("added database not listed: %q", got)
	}
	if err := targetDB(t, e, "tenants-1", "u", "added", "").Ping(); err != nil {
		t.Errorf("login to the added database: %v", err)
	}
}

// "MSSQLSERVER_4060" and "MSSQLSERVER_18456" (Microsoft Learn, Database Engine events and
// errors): a database not on the server fails the login with 4060, a user the database lacks
// with 18456.
func TestTargetServerLoginErrors(t *testing.T) {
	e, _ := serveTargets(t, targetsFleet)
	for _, tc := range []struct {
		user, db string
		number   int32
		msg      string
	}{
		{"job_user", "nowhere", 4060, `Cannot open database "nowhere" requested by the login. The login failed.`},
		{"job_user", "far", 4060, `Cannot open database "far" requested by the login. The login failed.`}, // on the other server
		{"job_user", "tenant-101", 18456, "Login failed for user 'job_user'."},
	} {
		err := targetDB(t, e, "tenants-1", tc.user, tc.db, "").Ping()
		if n, m, _ := sqlErr(err); n != tc.number || !strings.HasSuffix(m, tc.msg) {
			t.Errorf("%s on %s: %v, want %d %q", tc.user, tc.db, err, tc.number, tc.msg)
		}
	}
	for _, ok := range []struct{ user, db string }{{"JOB_USER", "reports"}, {"anyone", "tenant-001"}, {"anyone", "master"}, {"anyone", ""}} {
		if err := targetDB(t, e, "tenants-1", ok.user, ok.db, "").Ping(); err != nil {
			t.Errorf("%s on %q: %v", ok.user, ok.db, err)
		}
	}
}

// An unreachable server accepts TCP connections and never answers: the client times out.
func TestTargetServerUnreachableTimesOut(t *testing.T) {
	e, _ := serveTargets(t, targetsFleet)
	conn, err := net.Dial("tcp", e.TargetAddr("tenants-2").String())
	if err != nil {
		t.Fatalf("TCP connection refused: %v", err)
	}
	conn.Close()
	db := targetDB(t, e, "tenants-2", "job_user", "far", "dial+timeout=1&connection+timeout=1")
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = db.PingContext(ctx)
	if err == nil {
		t.Fatal("login to an unreachable server succeeded")
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 8*time.Second {
		t.Errorf("failed after %v with %v, want the 1 s connection timeout", d, err)
	}
}

// The check queries: "DB_NAME (Transact-SQL)", "USER_NAME (Transact-SQL)", "HAS_PERMS_BY_NAME
// (Transact-SQL)", "SCHEMA_ID (Transact-SQL)", "OBJECT_ID (Transact-SQL)", "COL_LENGTH
// (Transact-SQL)", "sys.index_columns (Transact-SQL)" and "sys.columns (Transact-SQL)".
func TestTargetServerCheckQueries(t *testing.T) {
	e, _ := serveTargets(t, targetsFleet)
	db := targetDB(t, e, "tenants-1", "report_writer", "reports", "")
	var name, user string
	var connect sql.NullInt64
	if err := db.QueryRow("SELECT DB_NAME(), USER_NAME(), HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CONNECT')").Scan(&name, &user, &connect); err != nil {
		t.Fatal(err)
	}
	if name != "reports" || user != "report_writer" || connect.Int64 != 1 {
		t.Errorf("DB_NAME %q, USER_NAME %q, CONNECT %v", name, user, connect)
	}
	const check = "SELECT SCHEMA_ID(@schema), OBJECT_ID(@table), COL_LENGTH(@table, 'internal_execution_id'), HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CREATE TABLE')"
	const index = "SELECT COUNT(*) FROM sys.index_columns AS ic JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id WHERE ic.object_id = OBJECT_ID(@table) AND c.name = N'internal_execution_id'"
	for _, tc := range []struct {
		schema, table         string
		schemaOK, tableOK     bool
		colLength, indexCount int64
	}{
		{"dbo", "[dbo].[tenant_sizes]", true, true, 16, 1},
		{"dbo", "[dbo].[no_index]", true, true, 16, 0},
		{"dbo", "[dbo].[no_id]", true, true, 0, 0},
		{"dbo", "[dbo].[absent]", true, false, 0, 0},
		{"out", "[out].[absent]", false, false, 0, 0},
		{"jobs", "[jobs].[jobs]", false, false, 0, 0},
	} {
		var schemaID, objectID, colLength, create sql.NullInt64
		if err := db.QueryRow(check, sql.Named("schema", tc.schema), sql.Named("table", tc.table)).Scan(&schemaID, &objectID, &colLength, &create); err != nil {
			t.Fatalf("%s: %v", tc.table, err)
		}
		if schemaID.Valid != tc.schemaOK || objectID.Valid != tc.tableOK || colLength.Int64 != tc.colLength || create.Int64 != 1 {
			t.Errorf("%s: SCHEMA_ID %v, OBJECT_ID %v, COL_LENGTH %v, CREATE TABLE %v", tc.table, schemaID, objectID, colLength, create)
		}
		var n int64
		if err := db.QueryRow(index, sql.Named("table", tc.table)).Scan(&n); err != nil || n != tc.indexCount {
			t.Errorf("%s: index on internal_execution_id: %d, %v", tc.table, n, err)
		}
	}
	// A table created over the connection is seen by the same queries; its primary key is an index.
	if _, err := db.Exec("CREATE TABLE dbo.made (internal_execution_id uniqueidentifier PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := db.QueryRow(index, sql.Named("table", "[dbo].[made]")).Scan(&n); err != nil || n != 1 {
		t.Errorf("primary key index: %d, %v", n, err)
	}
	// A fleet database has no jobs schema.
	if _, err := db.Exec("EXEC jobs.sp_add_job @job_name = N'x'"); err == nil {
		t.Error("jobs.sp_add_job ran in a target database")
	}
}

// Failed logins to a target server are expected (a missing user), not password guessing: they
// do not slow down the client's later logins.
func TestTargetServerDoesNotThrottleFailedLogins(t *testing.T) {
	e, _ := serveTargets(t, targetsFleet)
	missing := targetDB(t, e, "tenants-1", "job_user", "tenant-101", "")
	start := time.Now()
	for range 10 {
		if err := missing.Ping(); err == nil {
			t.Fatal("login succeeded")
		}
	}
	if err := targetDB(t, e, "tenants-1", "job_user", "scratch", "").Ping(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("11 logins took %v", d)
	}
}
