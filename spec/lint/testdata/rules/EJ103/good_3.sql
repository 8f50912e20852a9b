SELECT * FROM sys.dm_db_index_usage_stats WHERE database_id = DB_ID();
