-- expect: EJ202
IF OBJECT_ID(N'dbo.Orders', N'U') IS NOT NULL
    EXEC (N'CREATE VIEW dbo.vOrderTotals AS
SELECT CustomerId, SUM(Total) AS Total
FROM dbo.Orders
GROUP BY CustomerId;');
