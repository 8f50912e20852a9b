-- expect: EJ203
SET NOCOUNT ON;
ALTER TABLE dbo.Customer ADD Segment tinyint NULL;
INSERT dbo.SchemaVersion (Version, AppliedAt) VALUES (12, SYSUTCDATETIME());
