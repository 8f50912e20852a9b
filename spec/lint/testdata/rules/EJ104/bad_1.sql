INSERT INTO Central.dbo.Inventory (Db, Cnt) SELECT DB_NAME(), COUNT(*) FROM dbo.Orders;
