IF OBJECT_ID(N'dbo.vOld', N'V') IS NULL
    RETURN;
DROP VIEW dbo.vOld;
IF NOT (OBJECT_ID(N'dbo.vOlder', N'V') IS NULL)
    DROP VIEW dbo.vOlder;
