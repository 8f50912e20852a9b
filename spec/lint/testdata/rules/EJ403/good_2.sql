RAISERROR(N'progress %d', 0, 1, 5) WITH NOWAIT;
