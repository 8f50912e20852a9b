IF @create = 1
    CREATE TABLE [dbo].[Log] (Id int NOT NULL);
