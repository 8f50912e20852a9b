-- expect: EJ404
SET NOCOUNT ON;
IF OBJECT_ID(N'dbo.Invoice', N'U') IS NOT NULL
    THROW 50000, N'dbo.Invoice already exists', 1;
CREATE TABLE dbo.Invoice
(
    Id     bigint NOT NULL CONSTRAINT PK_Invoice PRIMARY KEY,
    Amount decimal(19, 4) NOT NULL
);
