EXEC dbo.usp_Run @Mode = N'full';
