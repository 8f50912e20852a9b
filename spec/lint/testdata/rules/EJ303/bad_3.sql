TRUNCATE TABLE dbo.Staging;
