-- expect: EJ501
EXEC sp_configure 'max degree of parallelism', 4;
RECONFIGURE;
