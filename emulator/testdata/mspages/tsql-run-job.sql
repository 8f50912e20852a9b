--! page: https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-tsql-create-manage
--! example: Run the job
--! setup: tsql-deploy-schema.sql
--! expect: success
--! count 2: jobs.job_executions WHERE job_name = 'CreateTableTest' AND step_id IS NULL AND job_version = 1 AND is_active = 1
-- Two executions of the latest version, the second one's ID returned in @je.
--Connect to the job database specified when creating the job agent

-- Execute the latest version of a job
EXEC jobs.sp_start_job 'CreateTableTest';

-- Execute the latest version of a job and receive the execution ID
declare @je uniqueidentifier;
exec jobs.sp_start_job 'CreateTableTest', @job_execution_id = @je output;
select @je;

-- Monitor progress
SELECT * FROM jobs.job_executions WHERE job_execution_id = @je;

