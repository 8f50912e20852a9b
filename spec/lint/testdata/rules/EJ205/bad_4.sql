IF OBJECT_ID(N'dbo.Audit', N'U') IS NOT NULL
BEGIN
    CREATE INDEX IX_Audit_At ON dbo.Audit (At);
END;
