SELECT * FROM tempdb.sys.objects WHERE name LIKE N'#x%';
