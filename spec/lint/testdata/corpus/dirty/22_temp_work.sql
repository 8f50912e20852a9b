-- expect: EJ201
SET NOCOUNT ON;
CREATE TABLE dbo.Candidates (Id int NOT NULL CONSTRAINT PK_Candidates PRIMARY KEY);
INSERT dbo.Candidates (Id)
SELECT Id FROM dbo.Session WHERE LastSeen < DATEADD(hour, -12, SYSUTCDATETIME());
