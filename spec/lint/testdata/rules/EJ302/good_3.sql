DECLARE @i int = 0;
SET @i += 1;
UPDATE dbo.T SET Qty = COALESCE(Qty, 0) WHERE Qty IS NULL;
