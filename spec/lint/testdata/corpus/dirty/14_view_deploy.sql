-- expect: EJ202
CREATE VIEW dbo.vOpenOrders
WITH SCHEMABINDING
AS
SELECT o.Id, o.CustomerId, o.OrderDate, o.Total
FROM dbo.Orders AS o
WHERE o.Status IN (1, 2);
