package sqlexec

import (
	"strings"
	"testing"

	"github.com/ejops/ejops/emulator/internal/jobstore"
)

// TestReaderLogin: the reader login reads the jobs views, sees no credentials, holds no CONTROL
// and may not write; the owner, logged in beside it, sees and may do everything.
func TestReaderLogin(t *testing.T) {
	db, err := jobstore.Open(jobstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := NewHandler(db, Options{User: "owner", Password: "pw", ServerName: "jobs-east", Logins: []Login{{Name: "reader", Password: "rpw", Role: RoleReader}}})
	login := func(user, pw string) *Session {
		t.Helper()
		s, lerr := h.Login(user, pw, "")
		if lerr != nil {
			t.Fatalf("login %s: %v", user, lerr)
		}
		return s.(*Session)
	}
	if _, err := h.Login("reader", "pw", ""); err == nil || err.Number != 18456 {
		t.Fatalf("reader with the owner's password: %v", err)
	}
	owner, reader := login("owner", "pw"), login("READER", "rpw")
	ctx := t.Context()
	setup := "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'p'; CREATE DATABASE SCOPED CREDENTIAL c WITH IDENTITY = 'i', SECRET = 's'; EXEC jobs.sp_add_job 'j'"
	if got := render(owner.Batch(ctx, setup)); strings.Contains(got, "ERR") {
		t.Fatalf("setup: %s", got)
	}
	read := "SELECT @@SERVERNAME, DB_NAME(), HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CONTROL'), HAS_PERMS_BY_NAME(NULL, 'database', 'CONNECT'); " +
		"SELECT name FROM sys.database_scoped_credentials; SELECT job_name FROM jobs.jobs"
	if got, want := render(owner.Batch(ctx, read)), "[,,,][jobs-east jobdb 1 1];[name][c];[job_name][j];"; got != want {
		t.Errorf("owner reads\n got %s\nwant %s", got, want)
	}
	if got, want := render(reader.Batch(ctx, read)), "[,,,][jobs-east jobdb 0 1];[name];[job_name][j];"; got != want {
		t.Errorf("reader reads\n got %s\nwant %s", got, want)
	}
	if got := render(reader.Batch(ctx, "SELECT HAS_PERMS_BY_NAME('other', 'DATABASE', 'CONTROL'), HAS_PERMS_BY_NAME('dbo.t', 'OBJECT', 'SELECT')")); got != "[,][<nil> <nil>];" {
		t.Errorf("another database or class: %s", got)
	}
	schema := "SELECT HAS_PERMS_BY_NAME('dbo', 'SCHEMA', 'ALTER')"
	if got, want := render(reader.Batch(ctx, schema))+render(owner.Batch(ctx, schema)), "[][0];[][1];"; got != want {
		t.Errorf("schema permission of reader and owner: got %s, want %s", got, want)
	}
	denied := map[string]string{
		"EXEC jobs.sp_add_job 'x'":                     `ERR 229 "The EXECUTE permission was denied on the object 'sp_add_job', database 'jobdb', schema 'jobs'." line 1`,
		"CREATE SCHEMA ejops":                          `ERR 262 "CREATE SCHEMA permission denied in database 'jobdb'." line 1`,
		"CREATE TABLE t (a int)":                       `ERR 262 "CREATE TABLE permission denied in database 'jobdb'." line 1`,
		"INSERT INTO ejops.inventory (k) VALUES ('a')": `ERR 229 "The INSERT permission was denied on the object 'inventory', database 'jobdb', schema 'ejops'." line 1`,
		"ALTER DATABASE SCOPED CREDENTIAL c WITH IDENTITY = 'x', SECRET = 'y'": `ERR 15247 "User does not have permission to perform this action." line 1`,
	}
	for sql, want := range denied {
		if got := render(reader.Batch(ctx, sql)); got != want {
			t.Errorf("%s\n got %s\nwant %s", sql, got, want)
		}
	}
	if rep := reader.RPC(ctx, "jobs.sp_delete_job", nil); rep.Err == nil || rep.Err.Number != 229 {
		t.Errorf("RPC of a jobs procedure: %+v", rep.Err)
	}
	if got := render(reader.Batch(ctx, "DECLARE @rc int; BEGIN TRAN; EXEC @rc = sp_getapplock @Resource = 'r', @LockMode = 'Shared'; SELECT @rc; COMMIT")); got != "begin;[][0];commit;" {
		t.Errorf("sp_getapplock: %s", got)
	}
}
