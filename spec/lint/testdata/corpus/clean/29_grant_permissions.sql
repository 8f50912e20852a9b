GRANT EXECUTE ON SCHEMA::dbo TO app_writer;
GRANT SELECT, INSERT, UPDATE ON dbo.Orders TO app_writer;
DENY DELETE ON dbo.Orders TO app_writer;
REVOKE SELECT ON dbo.Salary FROM app_reader;
