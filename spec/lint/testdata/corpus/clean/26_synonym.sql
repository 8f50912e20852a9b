IF OBJECT_ID(N'dbo.CurrentOrders', N'SN') IS NULL
    CREATE SYNONYM dbo.CurrentOrders FOR dbo.Orders;
