-- expect: EJ207
CREATE STATISTICS ST_Orders_Status ON dbo.Orders (Status) WITH FULLSCAN;
