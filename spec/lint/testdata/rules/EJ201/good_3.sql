CREATE TABLE #work (Id int NOT NULL);
SELECT Id INTO #copy FROM #work;
DECLARE @t TABLE (Id int);
