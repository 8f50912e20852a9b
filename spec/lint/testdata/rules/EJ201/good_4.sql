DECLARE @missing bit = CASE WHEN OBJECT_ID(N'dbo.Audit', N'U') IS NULL THEN 1 ELSE 0 END;
IF @missing = 1
    CREATE TABLE dbo.Audit (Id int NOT NULL CONSTRAINT PK_Audit PRIMARY KEY);
