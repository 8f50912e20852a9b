-- expect: EJ208
EXEC sys.sp_rename N'dbo.Orders.CustId', N'CustomerId', N'COLUMN';
