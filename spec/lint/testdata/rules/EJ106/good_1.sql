IF COL_LENGTH(N'dbo.Orders', N'Region') IS NULL
    ALTER TABLE dbo.Orders ADD Region nvarchar(20) NULL;
EXEC (N'UPDATE dbo.Orders SET Region = N''EU'' WHERE Region IS NULL;');
