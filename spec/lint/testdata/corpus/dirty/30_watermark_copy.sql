-- expect: EJ301
SET NOCOUNT ON;
INSERT dbo.EventArchive (Id, At, Payload)
SELECT e.Id, e.At, e.Payload
FROM dbo.Event AS e;
