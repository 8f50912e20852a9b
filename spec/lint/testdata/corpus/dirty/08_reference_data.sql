-- expect: EJ301
SET NOCOUNT ON;
INSERT INTO dbo.OrderStatus (Id, Name) VALUES (1, N'New'), (2, N'Paid'), (3, N'Shipped'), (4, N'Cancelled');
