DROP TABLE IF EXISTS #scratch;
CREATE TABLE #scratch (Id int);
