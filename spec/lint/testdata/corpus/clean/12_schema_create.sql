IF SCHEMA_ID(N'stage') IS NULL
    EXEC (N'CREATE SCHEMA stage AUTHORIZATION dbo;');
IF OBJECT_ID(N'stage.Import', N'U') IS NULL
    CREATE TABLE stage.Import (Id int NOT NULL CONSTRAINT PK_stage_Import PRIMARY KEY, Payload nvarchar(max) NULL);
