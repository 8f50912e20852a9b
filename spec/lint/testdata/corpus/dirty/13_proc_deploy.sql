-- expect: EJ202
CREATE PROCEDURE dbo.usp_PurgeSessions
    @OlderThanDays int = 7
AS
BEGIN
    SET NOCOUNT ON;
    DELETE FROM dbo.Session
    WHERE LastSeen < DATEADD(day, -@OlderThanDays, SYSUTCDATETIME());
END;
