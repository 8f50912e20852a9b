SET NOCOUNT ON;
MERGE dbo.OrderStatus WITH (HOLDLOCK) AS t
USING (VALUES (1, N'New'), (2, N'Paid'), (3, N'Shipped'), (4, N'Cancelled')) AS s (Id, Name)
    ON t.Id = s.Id
WHEN MATCHED AND t.Name <> s.Name THEN
    UPDATE SET Name = s.Name
WHEN NOT MATCHED BY TARGET THEN
    INSERT (Id, Name) VALUES (s.Id, s.Name);
