SELECT Id, Name INTO dbo.CustCopy FROM dbo.Cust;
