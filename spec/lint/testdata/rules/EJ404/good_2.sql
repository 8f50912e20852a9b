IF OBJECT_ID(N'dbo.Source', N'U') IS NULL
    THROW 50000, N'dbo.Source is missing', 1;
