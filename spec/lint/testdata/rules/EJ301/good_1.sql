INSERT INTO dbo.Setting (Name, Value)
SELECT N'RetentionDays', N'30'
WHERE NOT EXISTS (SELECT 1 FROM dbo.Setting WITH (UPDLOCK, HOLDLOCK) WHERE Name = N'RetentionDays');
