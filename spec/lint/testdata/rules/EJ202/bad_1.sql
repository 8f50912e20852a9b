CREATE VIEW dbo.vActive AS SELECT Id FROM dbo.Users WHERE Active = 1;
