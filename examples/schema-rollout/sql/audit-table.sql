IF OBJECT_ID(N'audit.change_log', N'U') IS NULL
BEGIN
    CREATE TABLE audit.change_log (
        change_id bigint IDENTITY(1, 1) NOT NULL CONSTRAINT PK_audit_change_log PRIMARY KEY,
        table_name sysname NOT NULL,
        changed_at datetime2 NOT NULL CONSTRAINT DF_audit_change_log_changed_at DEFAULT SYSUTCDATETIME(),
        changed_by sysname NOT NULL CONSTRAINT DF_audit_change_log_changed_by DEFAULT SUSER_SNAME()
    );
END;

IF COL_LENGTH(N'audit.change_log', N'change_kind') IS NULL
    ALTER TABLE audit.change_log ADD change_kind char(1) NULL;

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_audit_change_log_changed_at' AND object_id = OBJECT_ID(N'audit.change_log'))
    CREATE INDEX IX_audit_change_log_changed_at ON audit.change_log (changed_at);
