SELECT [missing FROM dbo.T;
