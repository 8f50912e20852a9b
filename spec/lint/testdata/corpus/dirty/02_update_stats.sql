-- expect: EJ302
SET NOCOUNT ON;
UPDATE STATISTICS dbo.Orders WITH FULLSCAN;
UPDATE STATISTICS dbo.OrderLines IX_OrderLines_OrderId WITH SAMPLE 50 PERCENT;
EXEC sys.sp_updatestats;
UPDATE dbo.MaintenanceRun SET Runs = Runs + 1 WHERE Name = N'stats';
