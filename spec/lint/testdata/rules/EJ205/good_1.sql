IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.Orders') AND name = N'IX_Orders_CustId')
    CREATE NONCLUSTERED INDEX IX_Orders_CustId ON dbo.Orders (CustId);
