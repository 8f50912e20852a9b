--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-jobstep-elastic-jobs-transact-sql
--! example: Create a job step to execute a T-SQL statement and collect results
--! setup: add-target-group-member-pools.sql
--! expect: success
--! count 1: jobs.jobs WHERE job_name = 'ResultsJob' AND description = 'Collection Performance data from all customers' AND job_version = 1
--! count 1: jobs.jobsteps WHERE job_name = 'ResultsJob' AND step_name = 'JobStep' AND target_group_name = 'PoolGroup' AND output_type = 'SqlDatabase' AND output_server_name = 'server1.database.windows.net' AND output_database_name = 'Results' AND output_schema_name = 'dbo' AND output_table_name = 'results_table' AND output_credential_name IS NULL
--! count 1: jobs.jobsteps WHERE job_name = 'ResultsJob' AND command LIKE N'%$(job_execution_id) AS job_execution_id%'
-- The step collects its first result set into dbo.results_table of the database Results on
-- server1.database.windows.net; the step keeps $(job_execution_id) as written, the agent
-- replaces it at run time ("Create and manage elastic jobs by using T-SQL", "Data collection
-- using built-in parameters").
--Connect to the job database specified when creating the job agent

-- Add a job to collect perf results
EXEC jobs.sp_add_job @job_name ='ResultsJob', @description='Collection Performance data from all customers'

-- Add a job step w/ schedule to collect results
EXEC jobs.sp_add_jobstep
@job_name = 'ResultsJob',
@command = N' SELECT DB_NAME() DatabaseName, $(job_execution_id) AS job_execution_id, * FROM sys.dm_db_resource_stats WHERE end_time > DATEADD(mi, -20, GETDATE());',
@target_group_name = 'PoolGroup',
@output_type = 'SqlDatabase',
@output_server_name = 'server1.database.windows.net',
@output_database_name = 'Results',
@output_schema_name = 'dbo',
@output_table_name = 'results_table';
