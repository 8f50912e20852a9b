IF @rows = 0 RAISERROR(N'nothing to do', 10, 1);
