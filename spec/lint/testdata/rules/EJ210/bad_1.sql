DROP TABLE IF EXISTS dbo.DailyStats;
CREATE TABLE dbo.DailyStats (Day date NOT NULL);
