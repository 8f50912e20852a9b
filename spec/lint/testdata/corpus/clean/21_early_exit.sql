SET NOCOUNT ON;
IF OBJECT_ID(N'dbo.Invoice', N'U') IS NOT NULL
BEGIN
    PRINT N'dbo.Invoice exists, nothing to do';
    RETURN;
END;
CREATE TABLE dbo.Invoice
(
    Id     bigint NOT NULL CONSTRAINT PK_Invoice PRIMARY KEY,
    Amount decimal(19, 4) NOT NULL
);
