UPDATE dbo.Cfg SET Value = 1 WHERE Name = N'x';
