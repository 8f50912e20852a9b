-- expect: EJ209, EJ204
ALTER TABLE dbo.Orders ADD DEFAULT (1) FOR Status;
