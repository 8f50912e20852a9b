UPDATE dbo.Counter SET Hits = Hits + 1 WHERE Id = 1;
