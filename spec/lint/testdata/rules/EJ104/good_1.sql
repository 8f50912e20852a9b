SELECT o.Id FROM dbo.Orders AS o JOIN dbo.Cust AS c ON c.Id = o.CustId;
