INSERT INTO dbo.Setting (Name, Value) VALUES (N'RetentionDays', N'30');
