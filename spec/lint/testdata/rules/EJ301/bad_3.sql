INSERT dbo.RunLog (ExecId) VALUES ('$(job_execution_id)');
