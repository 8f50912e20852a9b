SET NOCOUNT ON;
SELECT DB_NAME() AS DatabaseName, COUNT_BIG(*) AS StaleSessions
FROM dbo.Session
WHERE LastSeen < DATEADD(day, -30, SYSUTCDATETIME());
