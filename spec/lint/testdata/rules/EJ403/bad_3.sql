IF OBJECT_ID(N'dbo.Source', N'U') IS NULL
    RAISERROR(N'source missing', 16, 1);
DELETE dbo.Target WHERE Id < 10;
