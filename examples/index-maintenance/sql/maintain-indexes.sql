-- Rebuild heavily fragmented indexes, reorganize lightly fragmented ones.
-- Safe to rerun: every statement reads the current fragmentation first.
SET NOCOUNT ON;

DECLARE @sql nvarchar(max) = N'';

SELECT @sql += CASE
        WHEN ps.avg_fragmentation_in_percent >= 30
            THEN N'ALTER INDEX ' + QUOTENAME(i.name) + N' ON ' + QUOTENAME(s.name) + N'.' + QUOTENAME(o.name) + N' REBUILD WITH (ONLINE = ON);'
        ELSE N'ALTER INDEX ' + QUOTENAME(i.name) + N' ON ' + QUOTENAME(s.name) + N'.' + QUOTENAME(o.name) + N' REORGANIZE;'
    END
FROM sys.dm_db_index_physical_stats(DB_ID(), NULL, NULL, NULL, 'LIMITED') AS ps
JOIN sys.indexes AS i ON i.object_id = ps.object_id AND i.index_id = ps.index_id
JOIN sys.objects AS o ON o.object_id = ps.object_id
JOIN sys.schemas AS s ON s.schema_id = o.schema_id
WHERE ps.avg_fragmentation_in_percent >= 5
  AND ps.page_count >= 1000
  AND i.name IS NOT NULL
  AND o.is_ms_shipped = 0;

IF @sql <> N''
    EXEC sys.sp_executesql @sql;
