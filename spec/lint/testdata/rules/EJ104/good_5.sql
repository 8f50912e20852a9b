SELECT e.Id, x.n.value('@type', 'nvarchar(50)') AS EventType
FROM dbo.Events e
OUTER APPLY e.Payload.nodes('/event/item') x(n)
WHERE e.Id > 10;
