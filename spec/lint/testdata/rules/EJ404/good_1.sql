IF OBJECT_ID(N'dbo.Audit', N'U') IS NOT NULL BEGIN PRINT N'dbo.Audit exists, nothing to do'; RETURN; END;
