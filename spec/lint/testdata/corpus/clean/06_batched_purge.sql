SET NOCOUNT ON;
DECLARE @cutoff datetime2 = DATEADD(day, -90, SYSUTCDATETIME());
DECLARE @rows int = 1;
WHILE @rows > 0
BEGIN
    DELETE TOP (5000) FROM dbo.EventLog
    WHERE CreatedAt < @cutoff;
    SET @rows = @@ROWCOUNT;
    WAITFOR DELAY '00:00:01';
END;
