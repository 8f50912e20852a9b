IF EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_Old')
    EXEC sp_rename N'dbo.T.IX_Old', N'IX_New', N'INDEX';
