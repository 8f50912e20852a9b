UPDATE dbo.Counter SET Hits = (SELECT COUNT(*) FROM dbo.Hit WHERE CounterId = 1) WHERE Id = 1;
