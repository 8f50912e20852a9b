UPDATE dbo.Account SET Balance = Balance + Interest, InterestApplied = 1 WHERE InterestApplied = 0;
