IF EXISTS (SELECT 1 FROM sys.tables WHERE name = N'Audit' AND schema_id = SCHEMA_ID(N'dbo'))
    CREATE TABLE dbo.Audit (Id int NOT NULL CONSTRAINT PK_Audit PRIMARY KEY);
