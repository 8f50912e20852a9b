SET NOCOUNT ON;
SET XACT_ABORT ON;
BEGIN TRY
    BEGIN TRANSACTION;
    INSERT dbo.OrderArchive (Id, CustomerId, OrderDate, Total)
    SELECT o.Id, o.CustomerId, o.OrderDate, o.Total
    FROM dbo.Orders AS o
    WHERE o.OrderDate < DATEADD(year, -2, SYSUTCDATETIME())
      AND NOT EXISTS (SELECT 1 FROM dbo.OrderArchive AS a WHERE a.Id = o.Id);
    DELETE o
    FROM dbo.Orders AS o
    JOIN dbo.OrderArchive AS a ON a.Id = o.Id;
    COMMIT TRANSACTION;
END TRY
BEGIN CATCH
    IF @@TRANCOUNT > 0
        ROLLBACK TRANSACTION;
    THROW;
END CATCH;
