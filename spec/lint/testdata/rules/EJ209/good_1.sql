IF OBJECT_ID(N'dbo.DF_Orders_Qty', N'D') IS NULL
    ALTER TABLE dbo.Orders ADD CONSTRAINT DF_Orders_Qty DEFAULT (0) FOR Qty;
