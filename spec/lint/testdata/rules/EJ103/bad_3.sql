IF DB_NAME() <> N'Sales'
    USE Sales;
