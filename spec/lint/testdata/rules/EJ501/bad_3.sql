EXEC msdb.dbo.sp_start_job N'Nightly';
