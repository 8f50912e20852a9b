DELETE FROM dbo.Session;
