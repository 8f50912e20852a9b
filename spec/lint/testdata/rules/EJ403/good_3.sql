IF OBJECT_ID(N'dbo.Source', N'U') IS NULL
BEGIN
    RAISERROR(N'source missing', 16, 1);
    RETURN;
END;
DELETE dbo.Target WHERE Id < 10;
