SET NOCOUNT ON;
UPDATE dbo.Setting SET Value = N'90' WHERE Name = N'RetentionDays';
IF @@ROWCOUNT = 0
    INSERT dbo.Setting (Name, Value) VALUES (N'RetentionDays', N'90');
