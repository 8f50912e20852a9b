IF OBJECT_ID(N'dbo.Audit', N'U') IS NULL
    PRINT N'dbo.Audit is missing';
ELSE
    CREATE TABLE dbo.Audit (Id int NOT NULL CONSTRAINT PK_Audit PRIMARY KEY);
