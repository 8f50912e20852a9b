SET NOCOUNT ON;
DECLARE @batch int = 10000, @rows int = 1;
WHILE @rows > 0
BEGIN
    UPDATE TOP (@batch) o
    SET o.RegionCode = c.RegionCode
    FROM dbo.Orders AS o
    JOIN dbo.Customer AS c ON c.Id = o.CustomerId
    WHERE o.RegionCode IS NULL;
    SET @rows = @@ROWCOUNT;
END;
