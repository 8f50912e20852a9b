-- expect: EJ302
SET NOCOUNT ON;
UPDATE dbo.Orders SET Total = Total * 1.2 WHERE RegionCode = N'EU';
