package sqlexec

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func newSession(t testing.TB) *Session {
	t.Helper()
	db, err := jobstore.Open(jobstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	h := NewHandler(db, Options{User: "u", Password: "p", Now: func() time.Time { return now }})
	return h.NewSession("u")
}

// render prints a reply compactly: result sets as rows of values, other items by kind.
func render(rep sqlval.Reply) string {
	var b strings.Builder
	for _, it := range rep.Items {
		switch it.Kind {
		case sqlval.ItemResultSet:
			var names []string
			for _, c := range it.Set.Columns {
				names = append(names, c.Name)
			}
			fmt.Fprintf(&b, "[%s]", strings.Join(names, ","))
			for _, r := range it.Set.Rows {
				fmt.Fprintf(&b, "%v", r)
			}
			b.WriteString(";")
		case sqlval.ItemRowCount:
			fmt.Fprintf(&b, "rows %d;", it.Count)
		case sqlval.ItemInfo:
			fmt.Fprintf(&b, "info %q;", it.Err.Message)
		case sqlval.ItemError:
			fmt.Fprintf(&b, "error %d %q;", it.Err.Number, it.Err.Message)
		case sqlval.ItemTranBegin:
			b.WriteString("begin;")
		case sqlval.ItemTranCommit:
			b.WriteString("commit;")
		case sqlval.ItemTranRollback:
			b.WriteString("rollback;")
		}
	}
	if rep.Err != nil {
		fmt.Fprintf(&b, "ERR %d \"%s\" line %d", rep.Err.Number, rep.Err.Message, rep.Err.Line)
	}
	return b.String()
}

func TestBatches(t *testing.T) {
	cases := []struct{ name, sql, want string }{
		{"literals", "SELECT 1 AS a, N'x' AS b, NULL AS c, 0x0aff AS d, 1.5 AS e",
			"[a,b,c,d,e][1 x <nil> [10 255] 1.5];"},
		{"arithmetic and concat", "SELECT 7 / 2, 7 % 3, -(2 * 3) + 1, 'a' + N'b', 1 + '2'", "[,,,,][3 1 -5 ab 3];"},
		{"null propagates", "SELECT 1 + NULL, 'a' + NULL", "[,][<nil> <nil>];"},
		{"int overflow", "SELECT 2147483647 + 1", `ERR 8115 "Arithmetic overflow error converting expression to data type int." line 1`},
		{"int overflow below", "SELECT -2147483648 - 1", `ERR 8115 "Arithmetic overflow error converting expression to data type int." line 1`},
		{"int overflow of a product", "DECLARE @a int = 65536; SELECT @a * @a", `ERR 8115 "Arithmetic overflow error converting expression to data type int." line 1`},
		{"int overflow of a compound assignment", "DECLARE @a int = 2147483647; SET @a += 1", `ERR 8115 "Arithmetic overflow error converting expression to data type int." line 1`},
		{"bigint promotes", "DECLARE @b bigint = 2147483647; SET @b += 1; SELECT CAST(2147483647 AS bigint) + 1, 2147483647 + @b, @b", "[,,][2147483648 4294967295 2147483648];"},
		{"bigint overflow", "SELECT 9223372036854775807 + 1", `ERR 8115 "Arithmetic overflow error converting expression to data type bigint." line 1`},
		{"divide by zero", "SELECT 1 / 0", `ERR 8134 "Divide by zero error encountered." line 1`},
		{"conversion error", "SELECT 1 + 'x'", `ERR 245 "Conversion failed when converting the nvarchar value 'x' to data type int." line 1`},
		{"variables", "DECLARE @a int = 5, @s nvarchar(3) = 'abcdef'; SET @a += 1; SELECT @a, @s", "[,][6 abc];"},
		{"case-insensitive strings", "IF 'ABC' = 'abc  ' PRINT 'eq' ELSE PRINT 'ne'", `info "eq";`},
		{"three-valued logic", "IF NULL = NULL PRINT 'a' ELSE PRINT 'b'; IF NOT (NULL = 1) PRINT 'c' ELSE PRINT 'd'", `info "b";info "d";`},
		{"like and in", "SELECT CASE WHEN 'Nightly-Stats' LIKE 'night%[s-t]_ts' THEN 1 ELSE 0 END, CASE WHEN 2 IN (1, 2) THEN 1 END, CASE WHEN 3 NOT IN (1, NULL) THEN 1 ELSE 0 END",
			"[,,][1 1 0];"},
		{"functions", "SELECT ISNULL(NULL, 'd'), COALESCE(NULL, NULL, 3), LEN('ab  '), UPPER('a'), LOWER('B'), DB_NAME(), SYSUTCDATETIME(), CAST('12' AS int), CONVERT(nvarchar(5), 123456), NULLIF(1, 1)",
			"[,,,,,,,,,][d 3 2 A b jobdb 2026-03-04 05:06:07 +0000 UTC 12 12345 <nil>];"},
		{"guid conversion", "SELECT CAST('6F9619FF-8B86-D011-B42D-00C04FC964FF' AS uniqueidentifier)", "[][6F9619FF-8B86-D011-B42D-00C04FC964FF];"},
		{"bad guid", "DECLARE @g uniqueidentifier = 'nope'", `ERR 8169 "Conversion failed when converting from a character string to uniqueidentifier." line 1`},
		{"if exists", "EXEC jobs.sp_add_job @job_name = 'j'; IF EXISTS (SELECT * FROM jobs.jobs WHERE job_name = 'J') PRINT 'yes'", `info "yes";`},
		{"select assigns last row", "EXEC jobs.sp_add_job 'a'; EXEC jobs.sp_add_job 'b'; DECLARE @n nvarchar(10); SELECT @n = job_name FROM jobs.jobs ORDER BY job_name; SELECT @n, @@ROWCOUNT",
			"[,][b 2];"},
		{"scalar subquery", "EXEC jobs.sp_add_job 'a'; DECLARE @c int = (SELECT COUNT(*) FROM jobs.jobs); SELECT @c", "[][1];"},
		{"aggregates", "EXEC jobs.sp_add_job 'a'; EXEC jobs.sp_add_job 'b'; SELECT COUNT(*) AS n, MAX(job_name) AS m, MIN(job_version) FROM jobs.jobs",
			"[n,m,][2 b 0];"},
		{"aggregate with a bare column", "SELECT job_name, COUNT(*) FROM jobs.jobs", `ERR 8120 "Column 'job_name' is invalid in the select list because it is not contained in either an aggregate function or the GROUP BY clause." line 1`},
		{"top order where", "EXEC jobs.sp_add_job 'c'; EXEC jobs.sp_add_job 'a'; EXEC jobs.sp_add_job 'b'; SELECT TOP (2) job_name FROM jobs.jobs WHERE job_name <> 'x' ORDER BY job_name DESC",
			"[job_name][c][b];"},
		{"order by ordinal and alias", "EXEC jobs.sp_add_job 'c'; EXEC jobs.sp_add_job 'a'; SELECT job_name AS n FROM jobs.jobs ORDER BY n; SELECT job_name FROM jobs.jobs ORDER BY 1 DESC",
			"[n][a][c];[job_name][c][a];"},
		{"unknown column", "SELECT nope FROM jobs.jobs", `ERR 207 "Invalid column name 'nope'." line 1`},
		{"unknown qualifier", "SELECT x.job_name FROM jobs.jobs j", `ERR 4104 "The multi-part identifier "x.job_name" could not be bound." line 1`},
		{"ambiguous column", "SELECT job_id FROM jobs.jobs j JOIN jobs.jobsteps s ON s.job_id = j.job_id", `ERR 209 "Ambiguous column name 'job_id'." line 1`},
		{"unknown object", "SELECT 1\n\nFROM jobs.nothing", `ERR 208 "Invalid object name 'jobs.nothing'." line 3`},
		{"left join", "EXEC jobs.sp_add_job 'a'; SELECT j.job_name, s.step_id FROM jobs.jobs j LEFT JOIN jobs.jobsteps s ON s.job_id = j.job_id",
			"[job_name,step_id][a <nil>];"},
		{"statement error aborts the batch", "PRINT 'one'; SELECT 1/0; PRINT 'two'", `info "one";ERR 8134 "Divide by zero error encountered." line 1`},
		{"raiserror continues", "RAISERROR('bad %s %d', 16, 2, 'x', 7); SELECT @@ERROR; PRINT 'after'; SELECT @@ERROR", `error 50000 "bad x 7";[][50000];info "after";[][0];`},
		{"throw", "THROW 50010, N'boom', 3", `ERR 50010 "boom" line 1`},
		{"throw range", "THROW 10, N'boom', 3", `ERR 35100 "Error number 10 in the THROW statement is outside the valid range. Specify an error number in the valid range of 50000 to 2147483647." line 1`},
		{"return stops", "PRINT 'a'; RETURN; PRINT 'b'", `info "a";`},
		{"undeclared variable is a compile error", "PRINT 'a'; SELECT @nope", `ERR 137 "Must declare the scalar variable "@nope"." line 1`},
		{"declared twice", "DECLARE @a int; DECLARE @A int", `ERR 134 "The variable name '@a' has already been declared. Variable names must be unique within a query batch or stored procedure." line 1`},
		{"unknown procedure", "EXEC jobs.nope", `ERR 2812 "Could not find stored procedure 'jobs.nope'." line 1`},
		{"procedure outputs and return status", "DECLARE @v int, @rc int = 9, @s int; EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_job 'j'; EXEC @rc = jobs.sp_add_jobstep @job_name = 'j', @command = 'x', @target_group_name = 'g', @job_version = @v OUTPUT, @step_id = @s OUTPUT; SELECT @rc, @v, @s",
			"[,,][0 1 1];"},
		{"positional arguments", "DECLARE @id uniqueidentifier; EXEC jobs.sp_add_job N'pos', N'desc'; SELECT description FROM jobs.jobs", "[description][desc];"},
		{"user tables", `CREATE SCHEMA ejops; CREATE TABLE ejops.inv (k nvarchar(10) NOT NULL PRIMARY KEY, v int NOT NULL DEFAULT 3, at datetime2 DEFAULT SYSUTCDATETIME());
			INSERT INTO ejops.inv (k) VALUES ('a'), ('b'); INSERT INTO ejops.inv (k, v) VALUES ('c', DEFAULT);
			UPDATE ejops.inv SET v = v + 10 WHERE k IN ('A', 'c'); DELETE ejops.inv WHERE k = 'b';
			SELECT k, v, at FROM ejops.inv ORDER BY k; DROP TABLE ejops.inv; DROP TABLE IF EXISTS ejops.inv`,
			"rows 2;rows 1;rows 2;rows 1;[k,v,at][a 13 2026-03-04 05:06:07 +0000 UTC][c 13 2026-03-04 05:06:07 +0000 UTC];"},
		{"nocount", "CREATE TABLE t (a int); SET NOCOUNT ON; INSERT INTO t VALUES (1); SELECT @@ROWCOUNT", "[][1];"},
		{"duplicate key", "CREATE TABLE t (a int PRIMARY KEY); INSERT INTO t VALUES (1), (1)",
			`error 2627 "Violation of PRIMARY KEY constraint 'PK_t'. Cannot insert duplicate key in object 'dbo.t'. The duplicate key value is (1).";`},
		{"constraint error ends only the statement", "CREATE TABLE k (a int PRIMARY KEY); INSERT k VALUES (5); INSERT k VALUES (5); SELECT @@ERROR; INSERT k VALUES (6); SELECT COUNT(*) FROM k",
			`rows 1;error 2627 "Violation of PRIMARY KEY constraint 'PK_k'. Cannot insert duplicate key in object 'dbo.k'. The duplicate key value is (5).";[][2627];rows 1;[][2];`},
		{"constraint error keeps the transaction", "CREATE TABLE k (a int PRIMARY KEY); BEGIN TRAN; INSERT k VALUES (5); UPDATE k SET a = NULL; INSERT k VALUES (6); SELECT @@TRANCOUNT; COMMIT; SELECT COUNT(*) FROM k",
			`begin;rows 1;error 515 "Cannot insert the value NULL into column 'a', table 'jobdb.dbo.k'; column does not allow nulls. UPDATE fails.";rows 1;[][1];commit;[][2];`},
		{"truncation ends only the statement", "CREATE TABLE s (a nvarchar(2)); INSERT s VALUES ('abc'); PRINT 'after'",
			`error 8152 "String or binary data would be truncated.";info "after";`},
		{"constraint error in a block", "CREATE TABLE k (a int PRIMARY KEY); INSERT k VALUES (1); IF 1 = 1 BEGIN INSERT k VALUES (1); PRINT 'in' END; PRINT 'out'",
			`rows 1;error 2627 "Violation of PRIMARY KEY constraint 'PK_k'. Cannot insert duplicate key in object 'dbo.k'. The duplicate key value is (1).";info "in";info "out";`},
		{"xact_abort makes constraint errors abort", "CREATE TABLE k (a int PRIMARY KEY); SET XACT_ABORT ON; BEGIN TRAN; INSERT k VALUES (1); INSERT k VALUES (1); PRINT 'not reached'",
			`begin;rows 1;rollback;ERR 2627 "Violation of PRIMARY KEY constraint 'PK_k'. Cannot insert duplicate key in object 'dbo.k'. The duplicate key value is (1)." line 1`},
		{"conversion error still aborts", "CREATE TABLE c (a int); INSERT c VALUES ('x'); PRINT 'not reached'",
			`ERR 245 "Conversion failed when converting the nvarchar value 'x' to data type int." line 1`},
		{"procedure constraint error aborts", "EXEC jobs.sp_add_job 'j'; EXEC jobs.sp_add_job 'j'; PRINT 'not reached'", "ERR 2601"},
		{"transactions", "BEGIN TRAN; SELECT @@TRANCOUNT; BEGIN TRAN; COMMIT; COMMIT; SELECT @@TRANCOUNT; ROLLBACK",
			`begin;[][1];commit;[][0];ERR 3903 "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION." line 1`},
		{"xact_abort rolls back", "SET XACT_ABORT ON; BEGIN TRAN; EXEC jobs.sp_add_job 'x'; SELECT 1/0",
			`begin;rollback;ERR 8134 "Divide by zero error encountered." line 1`},
		{"procedure error dooms the transaction", "BEGIN TRAN; EXEC jobs.sp_delete_job 'missing'",
			`begin;rollback;ERR 50000 "Job 'missing' was not found" line 1`},
		{"applocks", "DECLARE @rc int; BEGIN TRAN; EXEC @rc = sp_getapplock @Resource = 'r', @LockMode = 'Exclusive'; SELECT @rc; COMMIT",
			"begin;[][0];commit;"},
		{"credentials", "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'p'; CREATE DATABASE SCOPED CREDENTIAL [c'1] WITH IDENTITY = 'i', SECRET = 's'; ALTER DATABASE SCOPED CREDENTIAL [c'1] WITH IDENTITY = 'i2'; SELECT name, credential_identity FROM sys.database_scoped_credentials; DROP DATABASE SCOPED CREDENTIAL [c'1]; SELECT COUNT(*) FROM sys.database_scoped_credentials",
			"[name,credential_identity][c'1 i2];[][0];"},
		{"declare in a branch not taken", "IF 1 = 0 BEGIN DECLARE @x int = 5 END; SELECT @x", "[][<nil>];"},
		{"positional default", "EXEC jobs.sp_add_job N'x', DEFAULT, 1; SELECT description, enabled FROM jobs.jobs", "[description,enabled][ true];"},
		{"join without an equality", "EXEC jobs.sp_add_job 'ab'; EXEC jobs.sp_add_job 'b'; SELECT a.job_name, b.job_name FROM jobs.jobs a JOIN jobs.jobs b ON a.job_name LIKE '%' + b.job_name ORDER BY 1, 2",
			"[job_name,job_name][ab ab][ab b][b b];"},
		{"use", "USE [jobdb]; USE master",
			`ERR 40508 "USE statement is not supported to switch between databases. Use a new connection to connect to a different database." line 1`},
		{"harmless set options", "SET ANSI_NULLS ON; SET QUOTED_IDENTIFIER ON; SET TEXTSIZE 2147483647; SET ROWCOUNT 0; SET IMPLICIT_TRANSACTIONS OFF; SET LOCK_TIMEOUT 1000; SET DEADLOCK_PRIORITY LOW; PRINT 'ok'",
			`info "ok";`},
		{"unsupported set option", "SET IMPLICIT_TRANSACTIONS ON",
			`ERR 40517 "Keyword or statement option 'SET IMPLICIT_TRANSACTIONS ON' is not supported in this version of SQL Server." line 1`},
		{"set rowcount", "SET ROWCOUNT 5",
			`ERR 40517 "Keyword or statement option 'SET ROWCOUNT n' is not supported in this version of SQL Server." line 1`},
		{"exec sp_executesql", "DECLARE @n int, @rc int; EXEC @rc = sp_executesql N'SELECT @c = COUNT(*) FROM jobs.jobs WHERE job_name = @name; RETURN 4', N'@name nvarchar(10), @c int OUTPUT', @name = N'x', @c = @n OUTPUT; SELECT @n, @rc",
			"[,][0 4];"},
		{"object and schema ids", "CREATE SCHEMA s; CREATE TABLE s.t (a int); SELECT CASE WHEN OBJECT_ID('s.t') IS NULL THEN 0 ELSE 1 END, CASE WHEN OBJECT_ID('s.nope') IS NULL THEN 0 ELSE 1 END, CASE WHEN SCHEMA_ID('S') IS NULL THEN 0 ELSE 1 END",
			"[,,][1 0 1];"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t)
			got := render(s.Batch(t.Context(), tc.sql))
			if !strings.HasPrefix(got, tc.want) || (!strings.HasPrefix(tc.want, "ERR 2601") && got != tc.want) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestRPC(t *testing.T) {
	s := newSession(t)
	ctx := t.Context()
	str := func(v string) sqlval.Column { return sqlval.Column{Type: sqlval.NVarChar, Size: len(v)} }
	guid := sqlval.Column{Type: sqlval.GUID, Nullable: true}

	rep := s.RPC(ctx, "[jobs].[sp_add_job]", []sqlval.Param{
		{Name: "@job_name", Type: str("j1"), Value: "j1"},
		{Name: "@Job_ID", Output: true, Type: guid},
	})
	if rep.Err != nil || rep.ReturnStatus == nil || *rep.ReturnStatus != 0 || len(rep.Outputs) != 1 {
		t.Fatalf("reply = %+v", rep)
	}
	if o := rep.Outputs[0]; o.Name != "@Job_ID" || o.Type.Type != sqlval.GUID || o.Value == nil {
		t.Fatalf("output = %+v, want @Job_ID with a GUID", o)
	}

	// sp_executesql: declarations, values, OUTPUT echoed under the sp_executesql names.
	rep = s.RPC(ctx, "sp_executesql", []sqlval.Param{
		{Type: str("x"), Value: "EXEC jobs.sp_add_job @job_name = @p1, @job_id = @p2 OUTPUT; SELECT @p3 = COUNT(*) FROM jobs.jobs"},
		{Type: str("x"), Value: "@p1 nvarchar(10),@p2 uniqueidentifier output,@p3 bigint output"},
		{Name: "@p1", Type: str("j2"), Value: "j2"},
		{Name: "@p2", Output: true, Type: guid},
		{Name: "@p3", Output: true, Type: sqlval.Column{Type: sqlval.BigInt, Nullable: true}},
	})
	if rep.Err != nil || len(rep.Outputs) != 2 {
		t.Fatalf("sp_executesql reply = %+v", rep)
	}
	if rep.Outputs[0].Name != "@p2" || rep.Outputs[0].Value == nil || rep.Outputs[1].Name != "@p3" || rep.Outputs[1].Value != int64(2) {
		t.Fatalf("outputs = %+v", rep.Outputs)
	}

	rep = s.RPC(ctx, "sp_executesql", []sqlval.Param{
		{Type: str("x"), Value: "SELECT @a"},
		{Type: str("x"), Value: "@a int"},
	})
	if rep.Err == nil || rep.Err.Number != 8178 {
		t.Fatalf("missing parameter: %+v", rep.Err)
	}

	rep = s.RPC(ctx, "jobs.sp_add_job", []sqlval.Param{{Name: "@job_name", Type: str("j1"), Value: "j1"}})
	if rep.Err == nil || rep.Err.Number != 2601 {
		t.Fatalf("duplicate: %+v", rep.Err)
	}
	if got := s.Calls()["jobs.sp_add_job"]; got != 3 {
		t.Fatalf("calls = %d, want 3", got)
	}
	if got := s.h.Calls()["jobs.sp_add_job"]; got != 3 {
		t.Fatalf("handler calls = %d, want 3", got)
	}
}

func TestResetClearsOptions(t *testing.T) {
	s := newSession(t)
	ctx := t.Context()
	s.Batch(ctx, "SET XACT_ABORT ON; BEGIN TRAN")
	s.Reset()
	if got := render(s.Batch(ctx, "SELECT @@TRANCOUNT")); got != "[][0];" {
		t.Fatalf("after reset: %s", got)
	}
	s.Batch(ctx, "BEGIN TRAN")
	if got := render(s.Batch(ctx, "SELECT 1/0")); !strings.HasPrefix(got, "ERR 8134") {
		t.Fatalf("got %s", got)
	}
	if got := render(s.Batch(ctx, "SELECT @@TRANCOUNT")); got != "[][1];" {
		t.Fatalf("XACT_ABORT survived Reset: %s", got)
	}
}

func TestLogin(t *testing.T) {
	db, err := jobstore.Open(jobstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := NewHandler(db, Options{User: "ejops", Password: "pw"})
	if _, err := h.Login("EJOPS", "pw", "jobdb"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login("ejops", "PW", "jobdb"); err == nil || err.Number != 18456 {
		t.Fatalf("bad password: %v", err)
	}
	if _, err := h.Login("ejops", "pw", "other"); err == nil || err.Number != 4060 {
		t.Fatalf("other database: %v", err)
	}
}

func FuzzBatch(f *testing.F) {
	for _, s := range []string{
		"EXEC jobs.sp_add_job 'a'; SELECT TOP (1) * FROM jobs.jobs WHERE job_name LIKE '%a%' ORDER BY job_name",
		"DECLARE @x int = 1; IF @x = 1 BEGIN SET @x += 1; PRINT @x END",
		"CREATE TABLE t (a int PRIMARY KEY, b nvarchar(5)); INSERT INTO t VALUES (1, 'x'); UPDATE t SET b = b + 'y'; SELECT * FROM t",
		"BEGIN TRAN; SELECT CAST('1' AS bit), CONVERT(uniqueidentifier, NEWID()), 1.5 * 2; ROLLBACK",
		"EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_target_group_member 'g', @target_type = 'SqlServer', @server_name = 's'",
		"EXEC jobs.sp_add_job 'j'; EXEC jobs.sp_add_jobstep 'j', @command = N'SELECT 1', @target_group_name = 'g'; EXEC jobs.sp_start_job 'j'",
		"BEGIN TRAN; EXEC jobs.sp_add_jobstep 'j', @step_id = 1, @step_name = 'first', @command = N'x', @target_group_name = 'g'; EXEC jobs.sp_delete_jobstep 'j', @step_id = 2",
		"EXEC jobs.sp_update_jobstep 'j', @step_name = 'first', @new_id = 2; EXEC jobs.sp_delete_target_group 'g'; THROW 50001, 'stop', 1",
		"EXEC jobs.sp_delete_job 'j', @force = 1; EXEC jobs.sp_delete_target_group_member 'g'; EXEC jobs.sp_purge_jobhistory 'j'",
	} {
		f.Add(s)
	}
	db, err := jobstore.Open(jobstore.Options{})
	if err != nil {
		f.Fatal(err)
	}
	h := NewHandler(db, Options{User: "u", Password: "p"})
	known := knownErrorNumbers(f)
	// The job database persists across inputs, so later inputs meet what earlier ones built.
	// Every error carries a SQL Server error number; once the session ends (rolling back what it
	// left open) the job database must still agree with itself.
	f.Fuzz(func(t *testing.T, src string) {
		s := h.NewSession("u")
		rep := s.Batch(t.Context(), src)
		s.Close()
		checkErrorNumbers(t, known, rep)
		if msg := checkModel(t.Context(), h); msg != "" {
			t.Fatalf("after %q: %s", src, msg)
		}
	})
}
