IF NOT EXISTS (SELECT 1 FROM sys.stats
               WHERE object_id = OBJECT_ID(N'dbo.Orders') AND name = N'ST_Orders_Status')
    CREATE STATISTICS ST_Orders_Status ON dbo.Orders (Status) WITH FULLSCAN;
