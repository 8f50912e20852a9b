-- expect: EJ501
GRANT VIEW SERVER STATE TO app_writer;
GRANT SELECT, INSERT, UPDATE ON dbo.Orders TO app_writer;
