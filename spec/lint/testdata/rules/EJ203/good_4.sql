DECLARE @v int;
SELECT @v = MAX(Version) FROM dbo.SchemaVersion;
IF @v < 5
BEGIN
    ALTER TABLE dbo.Orders ADD Segment int NULL;
    INSERT dbo.SchemaVersion (Version, AppliedAt) VALUES (5, SYSUTCDATETIME());
END;
