SET NOCOUNT ON;
CREATE TABLE #candidates (Id int NOT NULL PRIMARY KEY);
INSERT #candidates (Id)
SELECT Id FROM dbo.Session WHERE LastSeen < DATEADD(hour, -12, SYSUTCDATETIME());
DELETE s FROM dbo.Session AS s JOIN #candidates AS c ON c.Id = s.Id;
DROP TABLE #candidates;
