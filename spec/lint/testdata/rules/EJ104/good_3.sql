SELECT dbo.Orders.Id FROM dbo.Orders;
