IF COL_LENGTH(N'dbo.Orders', N'Segment') IS NOT NULL
    ALTER TABLE dbo.Orders ADD Segment int NULL;
