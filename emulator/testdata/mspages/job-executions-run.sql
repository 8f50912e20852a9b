--! page: https://learn.microsoft.com/sql/relational-databases/system-catalog-views/jobs-job-executions-elastic-jobs-transact-sql
--! example: Run a job and monitor status
--! setup: add-jobstep-tsql.sql
--! expect: success
--! count 1: jobs.job_executions WHERE job_name = 'CreateTableTest' AND step_id IS NULL AND job_version = 1 AND is_active = 1 AND lifecycle = 'Created' AND current_attempts = 0 AND target_type IS NULL AND target_group_name IS NULL
-- The execution is the parent job execution: step_id, target_type and target_group_name are NULL
-- and current_attempts is 0 for it (Columns); it was just created and is not yet in progress
-- (Lifecycle: Created) while the agent has not picked it up.
--Connect to the job database specified when creating the job agent

-- Execute the latest version of a job and receive the execution id
DECLARE @je uniqueidentifier;
EXEC jobs.sp_start_job 'CreateTableTest', @job_execution_id = @je output;
SELECT @je;

-- Monitor progress

SELECT * FROM jobs.job_executions WHERE job_execution_id = @je;
