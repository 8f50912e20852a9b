IF OBJECT_ID(N'dbo.Old', N'U') IS NOT NULL
    DROP TABLE dbo.Old;
