ALTER TABLE #t ADD Notes nvarchar(200) NULL;
