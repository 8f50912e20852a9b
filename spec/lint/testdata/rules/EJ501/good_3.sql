GRANT SELECT ON SCHEMA::dbo TO app_reader;
