DROP TABLE IF EXISTS [dbo].[Report];
CREATE TABLE dbo.Report (Id int NOT NULL);
