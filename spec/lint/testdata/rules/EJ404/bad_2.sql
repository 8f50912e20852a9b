IF EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_A')
    RAISERROR(N'index exists', 16, 1);
