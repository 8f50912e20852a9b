IF @rows = 0 BEGIN PRINT N'nothing to do'; RETURN; END;
