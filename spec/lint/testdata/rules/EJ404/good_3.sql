IF EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_A')
    PRINT N'index exists';
