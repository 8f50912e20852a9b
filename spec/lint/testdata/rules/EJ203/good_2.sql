IF NOT EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.Orders') AND name = N'Notes')
BEGIN
    ALTER TABLE dbo.Orders ADD Notes nvarchar(200) NULL;
END;
