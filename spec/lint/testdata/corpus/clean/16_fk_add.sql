IF OBJECT_ID(N'dbo.FK_Orders_Customer', N'F') IS NULL
BEGIN
    ALTER TABLE dbo.Orders WITH CHECK
        ADD CONSTRAINT FK_Orders_Customer FOREIGN KEY (CustomerId) REFERENCES dbo.Customer (Id);
END;
