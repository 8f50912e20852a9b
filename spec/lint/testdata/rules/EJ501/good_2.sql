EXEC dbo.usp_Maintain;
