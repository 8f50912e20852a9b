-- expect: EJ303
SET NOCOUNT ON;
DELETE FROM dbo.EventLog;
