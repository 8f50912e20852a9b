DELETE dbo.Q; -- ejops:ignore EJ303 the table is a queue, emptied by design
