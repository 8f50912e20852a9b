UPDATE dbo.Cfg SET Value = N'x' WHERE Name = N'y';
