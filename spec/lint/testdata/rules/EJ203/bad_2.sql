ALTER TABLE dbo.Orders ADD A int NULL, B int NULL;
