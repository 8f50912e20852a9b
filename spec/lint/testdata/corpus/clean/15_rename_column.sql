IF COL_LENGTH(N'dbo.Orders', N'CustId') IS NOT NULL
   AND COL_LENGTH(N'dbo.Orders', N'CustomerId') IS NULL
BEGIN
    EXEC sys.sp_rename N'dbo.Orders.CustId', N'CustomerId', N'COLUMN';
END;
