-- ejops:ignore EJ301 one audit row per attempt is intended
INSERT dbo.Audit (At) VALUES (SYSUTCDATETIME());
