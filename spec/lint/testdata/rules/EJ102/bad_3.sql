UPDATE dbo.Cfg SET Value = N'$(Environment)' WHERE Name = N'env';
