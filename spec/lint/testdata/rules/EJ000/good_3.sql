SELECT [it's] FROM dbo.T;
