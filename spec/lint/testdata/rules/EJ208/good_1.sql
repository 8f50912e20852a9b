IF COL_LENGTH(N'dbo.Orders', N'Cust') IS NOT NULL
   AND COL_LENGTH(N'dbo.Orders', N'CustomerId') IS NULL
    EXEC sp_rename N'dbo.Orders.Cust', N'CustomerId', N'COLUMN';
