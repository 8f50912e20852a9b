IF OBJECT_ID(N'dbo.vOld', N'V') IS NULL
    DROP VIEW dbo.vOld;
