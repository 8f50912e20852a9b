-- expect: EJ301
SET NOCOUNT ON;
INSERT dbo.Setting (Name, Value) VALUES (N'RetentionDays', N'90');
