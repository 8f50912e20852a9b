EXEC sp_executesql N'SELECT @x AS X;', N'@x int', @x = 1;
