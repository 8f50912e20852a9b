UPDATE dbo.Account SET Balance += 10 WHERE Id = 7;
