ALTER TABLE dbo.Orders DROP COLUMN LegacyFlag;
