-- ejops:ignore EJ999 not a rule
DELETE dbo.Q;
