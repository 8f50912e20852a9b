SELECT e.Id, x.n.value('@type', 'nvarchar(50)') AS EventType
FROM dbo.Events AS e
CROSS APPLY e.Payload.nodes('/event') AS x(n);
