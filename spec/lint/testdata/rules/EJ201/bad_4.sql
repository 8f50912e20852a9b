DECLARE @flag bit = 1;
IF @flag = 1
    CREATE TABLE dbo.Audit (Id int NOT NULL CONSTRAINT PK_Audit PRIMARY KEY);
