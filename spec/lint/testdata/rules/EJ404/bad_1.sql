IF OBJECT_ID(N'dbo.Audit', N'U') IS NOT NULL THROW 50000, N'dbo.Audit already exists', 1;
