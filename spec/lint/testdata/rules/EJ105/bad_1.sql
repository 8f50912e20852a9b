IF OBJECT_ID(N'dbo.usp_Purge', N'P') IS NULL
    CREATE PROCEDURE dbo.usp_Purge AS DELETE dbo.Log WHERE At < GETDATE();
