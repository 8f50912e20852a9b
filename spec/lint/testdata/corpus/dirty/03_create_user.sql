-- expect: EJ207
CREATE USER [job-agent-umi] FROM EXTERNAL PROVIDER;
IF DATABASE_PRINCIPAL_ID(N'app_reader') IS NULL
    CREATE ROLE app_reader AUTHORIZATION dbo;
ALTER ROLE app_reader ADD MEMBER [job-agent-umi];
GRANT SELECT ON SCHEMA::dbo TO app_reader;
