IF NOT EXISTS (SELECT 1 FROM dbo.Setting WHERE Name = N'Mode')
    INSERT dbo.Setting (Name, Value) VALUES (N'Mode', N'auto');
