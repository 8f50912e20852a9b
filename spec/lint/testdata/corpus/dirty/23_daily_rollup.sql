-- expect: EJ301
SET NOCOUNT ON;
DECLARE @day date = CAST(DATEADD(day, -1, SYSUTCDATETIME()) AS date);
INSERT dbo.DailySales (SalesDay, Orders, Revenue)
SELECT @day, COUNT(*), SUM(Total)
FROM dbo.Orders
WHERE OrderDate >= @day AND OrderDate < DATEADD(day, 1, @day);
