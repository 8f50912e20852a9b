EXEC sp_executesql @sql;
