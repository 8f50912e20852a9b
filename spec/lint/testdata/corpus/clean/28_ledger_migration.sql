SET NOCOUNT ON;
SET XACT_ABORT ON;
IF NOT EXISTS (SELECT 1 FROM dbo.SchemaVersion WHERE Version = 12)
BEGIN
    BEGIN TRANSACTION;
    IF COL_LENGTH(N'dbo.Customer', N'Segment') IS NULL
        ALTER TABLE dbo.Customer ADD Segment tinyint NULL;
    INSERT dbo.SchemaVersion (Version, AppliedAt) VALUES (12, SYSUTCDATETIME());
    COMMIT TRANSACTION;
END;
