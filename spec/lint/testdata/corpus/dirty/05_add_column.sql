-- expect: EJ203
IF COL_LENGTH(N'dbo.Customer', N'Email') IS NULL
    ALTER TABLE dbo.Customer ADD Email nvarchar(320) NULL;
ALTER TABLE dbo.Customer ADD IsActive bit NOT NULL CONSTRAINT DF_Customer_IsActive DEFAULT (1);
