EXEC sp_rename N'dbo.Orders.Cust', N'CustomerId', N'COLUMN';
