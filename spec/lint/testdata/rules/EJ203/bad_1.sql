ALTER TABLE dbo.Orders ADD Notes nvarchar(200) NULL;
