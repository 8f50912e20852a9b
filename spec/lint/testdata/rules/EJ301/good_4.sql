DECLARE @done int;
SET @done = (SELECT COUNT(*) FROM dbo.Migrations WHERE Id = 42);
IF @done = 0
BEGIN
    INSERT dbo.Settings (Name, Value) VALUES (N'mode', N'fast');
    INSERT dbo.Migrations (Id) VALUES (42);
END;
