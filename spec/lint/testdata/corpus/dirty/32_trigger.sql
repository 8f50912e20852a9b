-- expect: EJ105
CREATE OR ALTER TRIGGER dbo.trg_Orders_Touch
ON dbo.Orders
AFTER UPDATE
AS
BEGIN
    SET NOCOUNT ON;
    UPDATE o SET ModifiedAt = SYSUTCDATETIME()
    FROM dbo.Orders AS o
    JOIN inserted AS i ON i.Id = o.Id;
END;
GRANT SELECT ON dbo.Orders TO app_reader;
