IF OBJECT_ID(N'dbo.OrderNo', N'SO') IS NULL
    CREATE SEQUENCE dbo.OrderNo AS bigint START WITH 1;
