EXEC (N'CREATE TABLE dbo.' + @name + N' (Id int)');
