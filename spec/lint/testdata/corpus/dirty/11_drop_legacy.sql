-- expect: EJ206
DROP VIEW dbo.vLegacyOrders;
DROP PROCEDURE IF EXISTS dbo.usp_LegacyExport;
ALTER TABLE dbo.Orders DROP CONSTRAINT DF_Orders_LegacyFlag;
ALTER TABLE dbo.Orders DROP COLUMN LegacyFlag;
