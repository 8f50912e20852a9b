IF COL_LENGTH(N'dbo.Orders', N'Notes') IS NULL
    ALTER TABLE dbo.Orders ADD Notes nvarchar(200) NULL;
