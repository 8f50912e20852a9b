IF COL_LENGTH(N'dbo.T', N'C') IS NOT NULL
BEGIN
    THROW 50000, N'already migrated', 1;
END;
