IF NOT EXISTS (SELECT 1 FROM sys.check_constraints WHERE name = N'CK_Orders_Qty')
    ALTER TABLE dbo.Orders WITH CHECK ADD CONSTRAINT CK_Orders_Qty CHECK (Qty > 0);
