EXEC (@sql);
