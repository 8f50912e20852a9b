-- expect: EJ201
BEGIN
    CREATE TABLE dbo.Audit
    (
        Id        bigint IDENTITY(1, 1) NOT NULL CONSTRAINT PK_Audit PRIMARY KEY CLUSTERED,
        At        datetime2(3) NOT NULL CONSTRAINT DF_Audit_At DEFAULT (SYSUTCDATETIME()),
        Actor     sysname NOT NULL,
        Action    nvarchar(100) NOT NULL
    );
END;
