IF OBJECT_ID(N'dbo.Other') IS NOT NULL
    EXEC sp_rename N'dbo.T.IX_Old', N'IX_New', N'INDEX';
