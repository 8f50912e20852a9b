SET NOCOUNT ON;
DECLARE @last bigint = (SELECT ISNULL(MAX(Id), 0) FROM dbo.EventArchive);
INSERT dbo.EventArchive (Id, At, Payload)
SELECT e.Id, e.At, e.Payload
FROM dbo.Event AS e
WHERE e.Id > (SELECT ISNULL(MAX(a.Id), 0) FROM dbo.EventArchive AS a);
