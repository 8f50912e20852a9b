-- expect: EJ201
SET NOCOUNT ON;
CREATE TABLE dbo.IndexLog (Id int NOT NULL);
DECLARE @sql nvarchar(max), @schema sysname, @table sysname, @index sysname, @frag float;
DECLARE frag CURSOR LOCAL FAST_FORWARD FOR
    SELECT s.name, t.name, i.name, ps.avg_fragmentation_in_percent
    FROM sys.dm_db_index_physical_stats(DB_ID(), NULL, NULL, NULL, 'LIMITED') AS ps
    JOIN sys.indexes AS i ON i.object_id = ps.object_id AND i.index_id = ps.index_id
    JOIN sys.tables AS t ON t.object_id = i.object_id
    JOIN sys.schemas AS s ON s.schema_id = t.schema_id
    WHERE ps.avg_fragmentation_in_percent > 10 AND ps.page_count > 1000 AND i.name IS NOT NULL;
OPEN frag;
FETCH NEXT FROM frag INTO @schema, @table, @index, @frag;
WHILE @@FETCH_STATUS = 0
BEGIN
    IF @frag > 30
        SET @sql = N'ALTER INDEX ' + QUOTENAME(@index) + N' ON ' + QUOTENAME(@schema) + N'.' + QUOTENAME(@table) + N' REBUILD WITH (ONLINE = ON);';
    ELSE
        SET @sql = N'ALTER INDEX ' + QUOTENAME(@index) + N' ON ' + QUOTENAME(@schema) + N'.' + QUOTENAME(@table) + N' REORGANIZE;';
    RAISERROR(N'%s', 0, 1, @sql) WITH NOWAIT;
    EXEC sys.sp_executesql @sql;
    FETCH NEXT FROM frag INTO @schema, @table, @index, @frag;
END;
CLOSE frag;
DEALLOCATE frag;
