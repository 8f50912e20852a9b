IF COL_LENGTH(N'dbo.T', N'Flag') IS NULL
    ALTER TABLE dbo.T ADD Flag bit NULL;
SELECT Id, Flag FROM dbo.T;
