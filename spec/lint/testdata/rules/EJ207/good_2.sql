IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'app_reader' AND type = 'R')
    CREATE ROLE app_reader AUTHORIZATION dbo;
