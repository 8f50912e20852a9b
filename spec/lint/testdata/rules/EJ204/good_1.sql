IF OBJECT_ID(N'dbo.FK_Orders_Cust', N'F') IS NULL
    ALTER TABLE dbo.Orders ADD CONSTRAINT FK_Orders_Cust FOREIGN KEY (CustId) REFERENCES dbo.Cust (Id);
