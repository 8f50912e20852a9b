-- expect: EJ205
CREATE NONCLUSTERED INDEX IX_Orders_CustomerId_OrderDate
    ON dbo.Orders (CustomerId, OrderDate)
    INCLUDE (Total)
    WITH (ONLINE = ON, SORT_IN_TEMPDB = ON);
