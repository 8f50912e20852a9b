IF OBJECT_ID(N'dbo.DailyStats', N'U') IS NULL
    CREATE TABLE dbo.DailyStats (Day date NOT NULL);
