-- expect: EJ401, EJ402
SET NOCOUNT ON;
BEGIN TRANSACTION;
INSERT dbo.OrderArchive (Id, CustomerId, OrderDate, Total)
SELECT o.Id, o.CustomerId, o.OrderDate, o.Total
FROM dbo.Orders AS o
WHERE o.OrderDate < DATEADD(year, -2, SYSUTCDATETIME());
DELETE o
FROM dbo.Orders AS o
JOIN dbo.OrderArchive AS a ON a.Id = o.Id;
