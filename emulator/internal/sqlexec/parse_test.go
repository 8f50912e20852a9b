package sqlexec

import (
	"testing"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func TestParseAccepts(t *testing.T) {
	for _, src := range []string{
		"EXEC jobs.sp_add_job @job_name = N'x', @job_id = @id OUTPUT",
		"EXECUTE @rc = [jobs].[sp_add_job] N'x', DEFAULT; EXEC sp_who active",
		"jobs.sp_start_job 'j'",
		"DECLARE @a int = 1, @b nvarchar(max), @c AS uniqueidentifier; SET @a += 2",
		"SET XACT_ABORT ON; SET NOCOUNT, ANSI_NULLS OFF; SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
		"SELECT TOP (5) a, b AS [x y], c d, e = 1, 'lit' AS s FROM jobs.jobs j WITH (NOLOCK) WHERE a = 1 AND (b <> 2 OR c IS NOT NULL) ORDER BY a DESC, 2",
		"SELECT TOP 1 * FROM t ORDER BY x",
		"SELECT @x = col FROM t WHERE col LIKE 'a%' AND k IN (1, 2, 3) AND z NOT BETWEEN 1 AND 2",
		"SELECT @@TRANCOUNT, @@ROWCOUNT, @@ERROR, COUNT(*), NEWID(), CAST(1 AS bit), CONVERT(nvarchar(10), 5), ISNULL(NULL, 0x0A)",
		"IF NOT EXISTS (SELECT 1 FROM jobs.jobs WHERE job_name = 'x') BEGIN EXEC p; PRINT 'a' END ELSE PRINT 'b'",
		"IF (1 + 2) * 3 = 9 PRINT 'ok'",
		"IF ((1 = 1)) PRINT 'ok'",
		"BEGIN TRAN; COMMIT TRAN; BEGIN TRANSACTION t1 ROLLBACK TRANSACTION t1; COMMIT; ROLLBACK WORK",
		"CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'p'",
		"CREATE DATABASE SCOPED CREDENTIAL [c;'x] WITH IDENTITY = 'i', SECRET = 's'; ALTER DATABASE SCOPED CREDENTIAL c WITH IDENTITY = 'i'; DROP DATABASE SCOPED CREDENTIAL c",
		"CREATE SCHEMA ejops AUTHORIZATION dbo",
		"CREATE TABLE ejops.inv (scope nvarchar(128) NOT NULL, kind nvarchar(32) NOT NULL, name nvarchar(128) NOT NULL, hash varbinary(32), n bigint DEFAULT 0, ok bit NULL, f float, at datetime2(7) DEFAULT SYSUTCDATETIME(), id uniqueidentifier, CONSTRAINT pk PRIMARY KEY CLUSTERED (scope, kind, name))",
		"DROP TABLE IF EXISTS ejops.inv, t2",
		"INSERT INTO t (a, b) VALUES (1, N'x'), (2, DEFAULT); INSERT t VALUES (1)",
		"UPDATE t SET a = a + 1, b = N'y' WHERE c = 1; DELETE FROM t WHERE a = 1; DELETE t",
		"THROW 50001, N'boom', 1; RAISERROR('x %s %d', 16, 1, 'a', 5) WITH NOWAIT; RETURN; RETURN 5",
		"SELECT CASE WHEN a = 1 THEN 'one' ELSE 'other' END, CASE a WHEN 1 THEN 2 END FROM t",
		"SELECT js.* FROM jobs.jobsteps js INNER JOIN jobs.jobs j ON j.job_id = js.job_id LEFT OUTER JOIN x ON 1 = 1",
		"SET @n = (SELECT COUNT(*) FROM t)",
		"/* comment */ SELECT 1 -- trailing\n;;",
		"",
	} {
		if _, err := Parse(src); err != nil {
			t.Errorf("Parse(%q): %v", src, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src    string
		number int32
		msg    string
		line   int32
	}{
		{"SELECT", 156, "Incorrect syntax near the keyword 'SELECT'.", 1},
		{"SELECT 1 FROM", 156, "Incorrect syntax near the keyword 'FROM'.", 1},
		{"\n\nSELECT * FORM t", 102, "Incorrect syntax near 'FORM'.", 3},
		{"EXEC p @a = 1 + 2", 102, "Incorrect syntax near '+'.", 1},
		{"SELECT 1\nGO", 102, "Incorrect syntax near 'GO'.", 2},
		{"BEGIN END", 156, "Incorrect syntax near the keyword 'END'.", 1},
		{"IF 1 = 1 PRINT 'a'; ELSE PRINT 'b'", 156, "Incorrect syntax near the keyword 'ELSE'.", 1},
		{"WHILE 1 = 1 PRINT 'x'", 156, "Incorrect syntax near the keyword 'WHILE'.", 1},
		{"SELECT 'abc", 105, "Unclosed quotation mark after the character string 'abc'.", 1},
		{"select [a", 105, "Unclosed quotation mark after the character string 'a'.", 1},
		{"SELECT 1\nSELECT [a b\nc", 105, "Unclosed quotation mark after the character string 'a b\nc'.", 2},
		{"SELECT \"a", 105, "Unclosed quotation mark after the character string 'a'.", 1},
		{"SELECT 1 /* open", 113, "Missing end comment mark '*/'.", 1},
		{"DECLARE @x money", 2715, "Column, parameter, or variable #1: Cannot find data type money.", 1},
		{"DECLARE @x nvarchar(5000)", 2717, "The size (5000) given to the type exceeds the maximum allowed (4000).", 1},
		{"SELECT @@FOO", 137, "Must declare the scalar variable \"@@FOO\".", 1},
		{"CREATE DATABASE SCOPED CREDENTIAL c WITH IDENTITY = 'i', SECRET 'hush'", 102, "Incorrect syntax near 'SECRET'.", 1},
		{"CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'hush", 105, "Unclosed quotation mark after the character string ''.", 1},
		{"SELECT 1; CREATE SCHEMA s", 111, "'CREATE SCHEMA' must be the first statement in a query batch.", 1},
		{"SELECT $(var)", 102, "Incorrect syntax near '$(var)'.", 1},
	}
	for _, tc := range cases {
		_, err := Parse(tc.src)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", tc.src)
			continue
		}
		if err.Number != tc.number || err.Message != tc.msg || err.Line != tc.line {
			t.Errorf("Parse(%q) = %d %q line %d, want %d %q line %d", tc.src, err.Number, err.Message, err.Line, tc.number, tc.msg, tc.line)
		}
	}
}

func TestParseNestingLimit(t *testing.T) {
	deep := ""
	for range 10000 {
		deep += "("
	}
	_, err := Parse("SELECT " + deep + "1")
	if err == nil || err.Number != 191 {
		t.Fatalf("deep nesting: %v, want 191", err)
	}
}

func TestParseDecl(t *testing.T) {
	got, err := ParseDecl("@p1 nvarchar(5),@x int output, @j_id uniqueidentifier OUT,@t datetimeoffset(7)")
	if err != nil {
		t.Fatal(err)
	}
	want := []DeclParam{
		{Name: "@p1", Type: sqlval.Column{Type: sqlval.NVarChar, Size: 5, Nullable: true}},
		{Name: "@x", Type: sqlval.Column{Type: sqlval.Int, Nullable: true}, Output: true},
		{Name: "@j_id", Type: sqlval.Column{Type: sqlval.GUID, Nullable: true}, Output: true},
		{Name: "@t", Type: sqlval.Column{Type: sqlval.DateTimeOffset, Nullable: true}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d params, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("param %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := ParseDecl("@a int,"); err == nil {
		t.Error("trailing comma accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"EXEC jobs.sp_add_job @job_name = N'x', @job_id = @id OUTPUT",
		"SELECT TOP (1) * FROM jobs.jobs WHERE job_name LIKE '%a[b-c]_' ORDER BY 1 DESC",
		"IF NOT EXISTS (SELECT 1 FROM t) BEGIN BEGIN TRAN; INSERT INTO t VALUES (1); COMMIT END ELSE THROW 50000, 'x', 1",
		"CREATE TABLE s.t (a int PRIMARY KEY, b nvarchar(max) DEFAULT N'')",
		"DECLARE @x int = (SELECT COUNT(*) FROM a JOIN b ON a.x = b.y); SET @x = CASE WHEN @x > 1 THEN 1 END",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := Parse(src)
		if err == nil {
			_, _ = check(stmts, nil)
		} else if err.Message == "" || err.Number == 0 {
			t.Fatalf("empty error for %q", src)
		}
		_, _ = ParseDecl(src)
	})
}
