INSERT dbo.Archive (Id, At) SELECT Id, At FROM dbo.Log WHERE At < DATEADD(day, -30, GETDATE());
