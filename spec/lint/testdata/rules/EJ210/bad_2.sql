IF OBJECT_ID(N'dbo.Snap', N'U') IS NOT NULL
    DROP TABLE dbo.Snap;
SELECT * INTO dbo.Snap FROM dbo.Orders;
