-- expect: EJ204
ALTER TABLE dbo.Orders WITH CHECK
    ADD CONSTRAINT FK_Orders_Customer FOREIGN KEY (CustomerId) REFERENCES dbo.Customer (Id);
