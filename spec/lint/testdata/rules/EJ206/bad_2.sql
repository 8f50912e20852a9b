DROP TABLE dbo.Old;
