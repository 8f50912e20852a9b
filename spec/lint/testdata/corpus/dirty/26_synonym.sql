CREATE SYNONYM dbo.CurrentOrders FOR dbo.Orders;
