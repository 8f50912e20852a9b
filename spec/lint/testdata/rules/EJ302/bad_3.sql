UPDATE p SET Price = p.Price * 1.05 FROM dbo.Product AS p WHERE p.Category = N'A';
