IF OBJECT_ID(N'dbo.Orders') IS NOT NULL
    ALTER TABLE dbo.Orders ADD Notes nvarchar(200) NULL;
