SELECT * FROM Srv.Sales.dbo.Orders;
