UPDATE dbo.Cfg SET Value = N'x';
