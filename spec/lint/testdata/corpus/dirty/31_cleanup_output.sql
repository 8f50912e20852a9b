-- expect: EJ104
SET NOCOUNT ON;
INSERT INTO Central.dbo.StaleSessionReport (DatabaseName, StaleSessions)
SELECT DB_NAME(), COUNT_BIG(*)
FROM dbo.Session
WHERE LastSeen < DATEADD(day, -30, SYSUTCDATETIME());
