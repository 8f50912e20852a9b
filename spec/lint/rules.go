package lint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ejops/ejops/spec"
)

// Rule codes. They are stable: CI filters, suppressions and SARIF alerts key on them.
const (
	codeParseError          = "EJ000" // parse-error
	codeBatchSeparator      = "EJ101" // batch-separator
	codeSqlcmdSyntax        = "EJ102" // sqlcmd-syntax
	codeUseDatabase         = "EJ103" // use-database
	codeCrossDatabase       = "EJ104" // cross-database-reference
	codeBatchFirst          = "EJ105" // batch-first-statement
	codeColumnAddedAndUsed  = "EJ106" // column-added-and-used
	codeCreateTable         = "EJ201" // create-table-unguarded
	codeCreateModule        = "EJ202" // create-module-not-or-alter
	codeAddColumn           = "EJ203" // add-column-unguarded
	codeAddConstraint       = "EJ204" // add-constraint-unguarded
	codeCreateIndex         = "EJ205" // create-index-unguarded
	codeDropWithoutIfExists = "EJ206" // drop-without-if-exists
	codeCreateObject        = "EJ207" // create-object-unguarded
	codeRename              = "EJ208" // rename-unguarded
	codeUnnamedConstraint   = "EJ209" // unnamed-constraint
	codeDropAndRecreate     = "EJ210" // drop-and-recreate-table
	codeInsert              = "EJ301" // insert-unguarded
	codeRelativeUpdate      = "EJ302" // relative-update
	codeUnboundedDML        = "EJ303" // unbounded-dml
	codeOpenTransaction     = "EJ401" // open-transaction
	codeXactAbort           = "EJ402" // transaction-without-xact-abort
	codeErrorSignalling     = "EJ403" // error-signalling
	codeGuardRaisesError    = "EJ404" // guard-raises-error
	codeAzureUnsupported    = "EJ501" // azure-sql-unsupported
	codeDynamicSQL          = "EJ502" // dynamic-sql
	codeBadSuppression      = "EJ900" // bad-suppression
)

// Rule describes one lint rule: its code, readable name, default severity and documentation.
type Rule struct {
	Code, Name string
	Severity   spec.Severity
	Summary    string // one line: what is wrong
	Help       string // why it matters under retries and how to fix it
	Bad, Good  string // examples
}

var catalogue = []Rule{
	{codeParseError, "parse-error", spec.Error, "Unterminated string, comment or identifier",
		"The step does not compile: a quote, bracket or /* comment is never closed, so everything after it is swallowed.",
		"SELECT N'unterminated;", "SELECT N'terminated';"},
	{codeBatchSeparator, "batch-separator", spec.Error, "GO batch separator in a step",
		"GO is client-tool syntax, not T-SQL. Project policy: a step is one batch, so it behaves the same in the job agent, in test-idempotence and in SSMS. Split the step, or move batch-starting statements into EXEC (N'…').",
		"CREATE TABLE dbo.A (Id int NOT NULL);\nGO\nCREATE OR ALTER VIEW dbo.vA AS SELECT Id FROM dbo.A;",
		"IF OBJECT_ID(N'dbo.A', N'U') IS NULL\n    CREATE TABLE dbo.A (Id int NOT NULL);\nEXEC (N'CREATE OR ALTER VIEW dbo.vA AS SELECT Id FROM dbo.A;');"},
	{codeSqlcmdSyntax, "sqlcmd-syntax", spec.Error, "sqlcmd command or unknown $(variable)",
		"sqlcmd commands (:setvar, :r, !!) are not T-SQL and fail in the agent. The agent substitutes only $(job_name), $(job_id), $(job_version), $(step_id), $(step_name), $(job_execution_id), $(job_execution_create_time) and $(target_group_name); others stay as text. Agent variables inside quotes are substituted textually (info).",
		":setvar Schema dbo\nSELECT * FROM $(Schema).T;",
		"INSERT dbo.RunLog (ExecId) VALUES ('$(job_execution_id)');"},
	{codeUseDatabase, "use-database", spec.Error, "USE switches database",
		"Azure SQL Database rejects USE to another database with Msg 40508; the target group chooses the database. Remove the USE, or add a target.",
		"USE [Sales];\nUPDATE dbo.Cfg SET Value = 1 WHERE Name = N'x';",
		"UPDATE dbo.Cfg SET Value = 1 WHERE Name = N'x';"},
	{codeCrossDatabase, "cross-database-reference", spec.Error, "Three- or four-part name, OPENQUERY or OPENDATASOURCE",
		"Azure SQL Database rejects references to other databases and servers (Msg 40515). Return a result set and let the step's output options write it, or use an elastic-query external table for reads.",
		"INSERT INTO Central.dbo.Inventory (Db, Cnt) SELECT DB_NAME(), COUNT(*) FROM dbo.Orders;",
		"SELECT DB_NAME() AS Db, COUNT(*) AS Cnt FROM dbo.Orders;"},
	{codeBatchFirst, "batch-first-statement", spec.Error, "Module or schema definition not alone at the start of its batch",
		"CREATE/ALTER PROCEDURE, FUNCTION, VIEW, TRIGGER, SCHEMA, DEFAULT and RULE must start the batch (Msg 111), and statements after a procedure body silently become part of it. Make the step the module alone, or wrap the definition in EXEC (N'…').",
		"IF OBJECT_ID(N'dbo.usp_Purge', N'P') IS NULL\n    CREATE PROCEDURE dbo.usp_Purge AS DELETE dbo.Log WHERE At < DATEADD(day, -30, SYSUTCDATETIME());\nGRANT EXECUTE ON dbo.usp_Purge TO app_role;",
		"CREATE OR ALTER PROCEDURE dbo.usp_Purge\nAS\nBEGIN\n    SET NOCOUNT ON;\n    DELETE dbo.Log WHERE At < DATEADD(day, -30, SYSUTCDATETIME());\nEND;"},
	{codeColumnAddedAndUsed, "column-added-and-used", spec.Error, "Column added and referenced in the same batch",
		"The batch is compiled before it runs, so a statement that uses a column added earlier in the same batch fails to compile (Msg 207) and nothing runs, on every retry. Use the column in the next step or in EXEC (N'…').",
		"IF COL_LENGTH(N'dbo.Orders', N'Region') IS NULL\n    ALTER TABLE dbo.Orders ADD Region nvarchar(20) NULL;\nUPDATE dbo.Orders SET Region = N'EU' WHERE Region IS NULL;",
		"IF COL_LENGTH(N'dbo.Orders', N'Region') IS NULL\n    ALTER TABLE dbo.Orders ADD Region nvarchar(20) NULL;\nEXEC (N'UPDATE dbo.Orders SET Region = N''EU'' WHERE Region IS NULL;');"},
	{codeCreateTable, "create-table-unguarded", spec.Error, "CREATE TABLE or SELECT … INTO without an existence guard",
		"A second run fails with Msg 2714 because the table already exists. Wrap it in IF OBJECT_ID(N'<schema>.<table>', N'U') IS NULL.",
		"CREATE TABLE dbo.Audit (Id bigint IDENTITY CONSTRAINT PK_Audit PRIMARY KEY, At datetime2 NOT NULL);",
		"IF OBJECT_ID(N'dbo.Audit', N'U') IS NULL\nBEGIN\n    CREATE TABLE dbo.Audit (Id bigint IDENTITY CONSTRAINT PK_Audit PRIMARY KEY, At datetime2 NOT NULL);\nEND;"},
	{codeCreateModule, "create-module-not-or-alter", spec.Error, "CREATE of a module without OR ALTER, or a bare ALTER",
		"CREATE PROCEDURE/FUNCTION/VIEW/TRIGGER fails on the second run with Msg 2714; a bare ALTER fails on a database where the module does not exist yet. Use CREATE OR ALTER.",
		"CREATE VIEW dbo.vActive AS SELECT Id FROM dbo.Users WHERE Active = 1;",
		"CREATE OR ALTER VIEW dbo.vActive AS SELECT Id FROM dbo.Users WHERE Active = 1;"},
	{codeAddColumn, "add-column-unguarded", spec.Error, "ALTER TABLE … ADD column without a guard",
		"A second run fails with Msg 2705 (duplicate column name). Guard it with IF COL_LENGTH(N'<table>', N'<column>') IS NULL.",
		"ALTER TABLE dbo.Orders ADD Notes nvarchar(200) NULL;",
		"IF COL_LENGTH(N'dbo.Orders', N'Notes') IS NULL\n    ALTER TABLE dbo.Orders ADD Notes nvarchar(200) NULL;"},
	{codeAddConstraint, "add-constraint-unguarded", spec.Error, "ALTER TABLE … ADD constraint without a guard",
		"A second run fails with Msg 2714 for a named constraint, or 1779 for a second primary key. Guard it with IF OBJECT_ID(N'<schema>.<constraint>') IS NULL.",
		"ALTER TABLE dbo.Orders ADD CONSTRAINT FK_Orders_Cust FOREIGN KEY (CustId) REFERENCES dbo.Cust (Id);",
		"IF OBJECT_ID(N'dbo.FK_Orders_Cust', N'F') IS NULL\n    ALTER TABLE dbo.Orders ADD CONSTRAINT FK_Orders_Cust\n        FOREIGN KEY (CustId) REFERENCES dbo.Cust (Id);"},
	{codeCreateIndex, "create-index-unguarded", spec.Error, "CREATE INDEX without a guard",
		"A second run fails with Msg 1913. WITH (DROP_EXISTING = ON) alone is no protection: it fails on the first run with Msg 7999. Guard it with a sys.indexes probe naming the index.",
		"CREATE NONCLUSTERED INDEX IX_Orders_CustId ON dbo.Orders (CustId)\n    WITH (DROP_EXISTING = ON);",
		"IF NOT EXISTS (SELECT 1 FROM sys.indexes\n               WHERE object_id = OBJECT_ID(N'dbo.Orders') AND name = N'IX_Orders_CustId')\n    CREATE NONCLUSTERED INDEX IX_Orders_CustId ON dbo.Orders (CustId);"},
	{codeDropWithoutIfExists, "drop-without-if-exists", spec.Error, "DROP without IF EXISTS or a guard",
		"A second run fails with Msg 3701 (cannot drop, does not exist). Use DROP … IF EXISTS or guard it with a probe.",
		"ALTER TABLE dbo.Orders DROP COLUMN LegacyFlag;",
		"ALTER TABLE dbo.Orders DROP COLUMN IF EXISTS LegacyFlag;"},
	{codeCreateObject, "create-object-unguarded", spec.Error, "CREATE of a schema, type, sequence, synonym, user, role, statistics … without a guard",
		"A second run fails with Msg 2714, 15023 or 1913. Guard it with the matching probe: SCHEMA_ID, TYPE_ID, OBJECT_ID, DATABASE_PRINCIPAL_ID or a sys.* query.",
		"CREATE USER [job-agent-UMI] FROM EXTERNAL PROVIDER;",
		"IF DATABASE_PRINCIPAL_ID(N'job-agent-UMI') IS NULL\n    CREATE USER [job-agent-UMI] FROM EXTERNAL PROVIDER;"},
	{codeRename, "rename-unguarded", spec.Error, "sp_rename without a guard",
		"A second run fails with Msg 15248 because the old name no longer exists. Guard it with a probe that the old name exists and the new one does not.",
		"EXEC sp_rename N'dbo.Orders.Cust', N'CustomerId', N'COLUMN';",
		"IF COL_LENGTH(N'dbo.Orders', N'Cust') IS NOT NULL\n   AND COL_LENGTH(N'dbo.Orders', N'CustomerId') IS NULL\n    EXEC sp_rename N'dbo.Orders.Cust', N'CustomerId', N'COLUMN';"},
	{codeUnnamedConstraint, "unnamed-constraint", spec.Warning, "Constraint without a name on a permanent table",
		"SQL Server generates a different name in every database, so no guard or DROP CONSTRAINT IF EXISTS can name it. Declare it with CONSTRAINT <name>.",
		"ALTER TABLE dbo.Orders ADD DEFAULT (0) FOR Qty;",
		"IF OBJECT_ID(N'dbo.DF_Orders_Qty', N'D') IS NULL\n    ALTER TABLE dbo.Orders ADD CONSTRAINT DF_Orders_Qty DEFAULT (0) FOR Qty;"},
	{codeDropAndRecreate, "drop-and-recreate-table", spec.Warning, "Table dropped and created again in the same step",
		"Re-runnable, but every retry and every scheduled run throws the table's data away. Create it under a guard and reload its content, or use a #temp table for scratch data.",
		"DROP TABLE IF EXISTS dbo.DailyStats;\nCREATE TABLE dbo.DailyStats (Day date NOT NULL);",
		"IF OBJECT_ID(N'dbo.DailyStats', N'U') IS NULL\n    CREATE TABLE dbo.DailyStats (Day date NOT NULL);"},
	{codeInsert, "insert-unguarded", spec.Warning, "INSERT without protection against rows already present",
		"A second run inserts duplicates or fails with Msg 2627/2601. Insert only missing rows (WHERE NOT EXISTS on the target), use MERGE, or guard with IF NOT EXISTS.",
		"INSERT INTO dbo.Setting (Name, Value) VALUES (N'RetentionDays', N'30');",
		"INSERT INTO dbo.Setting (Name, Value)\nSELECT N'RetentionDays', N'30'\nWHERE NOT EXISTS (SELECT 1 FROM dbo.Setting WITH (UPDLOCK, HOLDLOCK) WHERE Name = N'RetentionDays');"},
	{codeRelativeUpdate, "relative-update", spec.Warning, "UPDATE that changes a column relative to itself",
		"SET c = c + 1 (or c += 1) applies the change again on every retry. Compute the value from source data, or mark processed rows in the same UPDATE and filter on the mark.",
		"UPDATE dbo.Counter SET Hits = Hits + 1 WHERE Id = 1;",
		"UPDATE dbo.Counter SET Hits = (SELECT COUNT(*) FROM dbo.Hit WHERE CounterId = 1) WHERE Id = 1;"},
	{codeUnboundedDML, "unbounded-dml", spec.Warning, "DELETE or UPDATE without WHERE, or TRUNCATE TABLE",
		"Idempotent, but it touches every row of every target database in the group. Add a WHERE clause, or delete in bounded batches.",
		"DELETE FROM dbo.Session;",
		"DELETE FROM dbo.Session WHERE ExpiresAt < SYSUTCDATETIME();"},
	{codeOpenTransaction, "open-transaction", spec.Error, "BEGIN TRANSACTION without COMMIT, or COMMIT without BEGIN",
		"A transaction still open when the step ends is rolled back when the connection closes: the work silently disappears. A COMMIT without BEGIN TRANSACTION fails with Msg 3902.",
		"BEGIN TRAN;\nUPDATE dbo.Cfg SET Value = N'x' WHERE Name = N'y';",
		"SET XACT_ABORT ON;\nBEGIN TRAN;\nUPDATE dbo.Cfg SET Value = N'x' WHERE Name = N'y';\nCOMMIT;"},
	{codeXactAbort, "transaction-without-xact-abort", spec.Warning, "Explicit transaction without SET XACT_ABORT ON or TRY/CATCH rollback",
		"With XACT_ABORT OFF a failing statement may roll back alone while the transaction commits the rest: the retry meets a half-applied state. SET XACT_ABORT ON first, or roll back in a CATCH block.",
		"BEGIN TRAN;\nUPDATE dbo.A SET X = 1 WHERE Id = 1;\nUPDATE dbo.B SET Y = 2 WHERE Id = 1;\nCOMMIT;",
		"SET XACT_ABORT ON;\nBEGIN TRAN;\nUPDATE dbo.A SET X = 1 WHERE Id = 1;\nUPDATE dbo.B SET Y = 2 WHERE Id = 1;\nCOMMIT;"},
	{codeErrorSignalling, "error-signalling", spec.Warning, "RAISERROR severity that does not do what it seems, or THROW after an unterminated statement",
		"RAISERROR with severity 0–10 is informational and does not fail the step; 11–18 outside TRY lets execution continue; 19–25 needs sysadmin. The statement before THROW must end with ';' (after ROLLBACK TRAN, THROW is read as a transaction name).",
		"IF @rows = 0 RAISERROR(N'nothing to do', 10, 1);",
		"IF @rows = 0 BEGIN PRINT N'nothing to do'; RETURN; END;"},
	{codeGuardRaisesError, "guard-raises-error", spec.Warning, "Existence probe that raises an error when the work is already done",
		"\"Already done\" raised as an error makes the agent retry and mark the job failed, so the second scheduled run of a correct job fails. Print a message and RETURN instead.",
		"IF OBJECT_ID(N'dbo.Audit', N'U') IS NOT NULL THROW 50000, N'dbo.Audit already exists', 1;",
		"IF OBJECT_ID(N'dbo.Audit', N'U') IS NOT NULL BEGIN PRINT N'dbo.Audit exists, nothing to do'; RETURN; END;"},
	{codeAzureUnsupported, "azure-sql-unsupported", spec.Error, "Statement Azure SQL Database does not support in a user database",
		"Server-level statements (sp_configure, RECONFIGURE, logins, backup, xp_ procedures, SQL Agent, server permissions, trace flags) fail on every target. Use database-scoped equivalents such as ALTER DATABASE SCOPED CONFIGURATION.",
		"EXEC sp_configure 'max degree of parallelism', 4;\nRECONFIGURE;",
		"ALTER DATABASE SCOPED CONFIGURATION SET MAXDOP = 4;"},
	{codeDynamicSQL, "dynamic-sql", spec.Info, "Dynamic SQL the linter cannot see",
		"EXEC (@sql), sp_executesql @sql or concatenated text is opaque, so its idempotence is unchecked. A single literal is linted like the rest of the step.",
		"EXEC (N'CREATE TABLE dbo.' + @name + N' (Id int)');",
		"EXEC (N'CREATE OR ALTER VIEW dbo.vA AS SELECT 1 AS One;');"},
	{codeBadSuppression, "bad-suppression", spec.Warning, "Suppression comment without a reason, with an unknown code, or suppressing nothing",
		"An ejops:ignore directive must name known codes (or rule names) and give a reason; one that suppresses nothing hides future problems.",
		"INSERT dbo.Log (Msg) VALUES (N'x'); -- ejops:ignore EJ301",
		"INSERT dbo.Log (Msg) VALUES (N'x'); -- ejops:ignore EJ301 the log keeps one row per attempt on purpose"},
}

var byCode = map[string]*Rule{}
var byName = map[string]*Rule{}

func init() {
	sort.Slice(catalogue, func(i, j int) bool { return catalogue[i].Code < catalogue[j].Code })
	for i := range catalogue {
		r := &catalogue[i]
		byCode[r.Code] = r
		byName[r.Name] = r
	}
}

// Rules returns every rule, sorted by code.
func Rules() []Rule {
	return append([]Rule(nil), catalogue...)
}

// lookup finds a rule by code (EJ201) or name (create-table-unguarded), case-insensitively.
func lookup(s string) (*Rule, bool) {
	if r, ok := byCode[strings.ToUpper(s)]; ok {
		return r, true
	}
	r, ok := byName[strings.ToLower(s)]
	return r, ok
}

// Explain returns the documentation of a rule given by code or name.
func Explain(code string) (string, bool) {
	r, ok := lookup(code)
	if !ok {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (default: %s)\n\n%s.\n\n%s\n\nBad:\n%s\n\nGood:\n%s\n",
		r.Code, r.Name, r.Severity, r.Summary, r.Help, indent(r.Bad), indent(r.Good))
	return b.String(), true
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
