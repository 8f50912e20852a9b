IF OBJECT_ID(N'dbo.DF_Orders_Status', N'D') IS NULL
    ALTER TABLE dbo.Orders ADD CONSTRAINT DF_Orders_Status DEFAULT (1) FOR Status;
