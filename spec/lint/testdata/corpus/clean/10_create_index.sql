IF NOT EXISTS (SELECT 1 FROM sys.indexes
               WHERE object_id = OBJECT_ID(N'dbo.Orders') AND name = N'IX_Orders_CustomerId_OrderDate')
BEGIN
    CREATE NONCLUSTERED INDEX IX_Orders_CustomerId_OrderDate
        ON dbo.Orders (CustomerId, OrderDate)
        INCLUDE (Total)
        WITH (ONLINE = ON, SORT_IN_TEMPDB = ON);
END;
