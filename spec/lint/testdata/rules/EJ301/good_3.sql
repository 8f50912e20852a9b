UPDATE dbo.Setting SET Value = N'30' WHERE Name = N'RetentionDays';
IF @@ROWCOUNT = 0
    INSERT dbo.Setting (Name, Value) VALUES (N'RetentionDays', N'30');
