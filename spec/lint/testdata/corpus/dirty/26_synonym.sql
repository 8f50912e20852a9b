-- expect: EJ207
CREATE SYNONYM dbo.CurrentOrders FOR dbo.Orders;
