IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = N'Log' AND schema_id = SCHEMA_ID(N'dbo'))
BEGIN
    CREATE TABLE dbo.Log (Id int NOT NULL);
END;
