DELETE dbo.Q WHERE Id < 5; -- ejops:ignore EJ303
