--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-jobstep-elastic-jobs-transact-sql
--! example: Create a job step to execute a T-SQL statement
--! setup: add-target-group-member-pools.sql
--! expect: success
--! count 1: jobs.jobs WHERE job_name = 'CreateTableTest' AND description = 'Create Table Test' AND enabled = 0 AND schedule_interval_type = 'Once' AND schedule_interval_count = 1 AND job_version = 1
--! count 1: jobs.jobsteps WHERE job_name = 'CreateTableTest' AND job_version = 1 AND step_id = 1 AND step_name = 'JobStep' AND target_group_name = 'PoolGroup' AND command_type = 'TSql' AND command_source = 'Inline' AND credential_name IS NULL AND output_type IS NULL
--! count 1: jobs.jobsteps WHERE job_name = 'CreateTableTest' AND initial_retry_interval_seconds = 1 AND maximum_retry_interval_seconds = 120 AND retry_interval_backoff_multiplier = 2.0 AND retry_attempts = 10 AND step_timeout_seconds = 43200
--! count 1: jobs.jobsteps WHERE job_name = 'CreateTableTest' AND command LIKE N'IF NOT EXISTS (SELECT * FROM sys.tables WHERE object_id = object_id(''Test''))%' AND command LIKE N'%CREATE TABLE%NOT NULL);'
-- What the page states: the job's version is 0 after sp_add_job and 1 once the first step is
-- added ("jobs.sp_add_job", Remarks); a job is disabled by default, with a schedule of Once every
-- 1 ("jobs.sp_add_job", Arguments); the first step is named JobStep, is T-SQL and Inline, and has
-- the documented retry and timeout defaults (this page, Arguments).
--Connect to the job database specified when creating the job agent

--Add job for create table
EXEC jobs.sp_add_job @job_name = 'CreateTableTest', @description = 'Create Table Test';

-- Add job step for create table
EXEC jobs.sp_add_jobstep @job_name = 'CreateTableTest',
@command = N'IF NOT EXISTS (SELECT * FROM sys.tables WHERE object_id = object_id(''Test''))
CREATE TABLE [dbo].[Test]([TestId] [int] NOT NULL);',
@target_group_name = 'PoolGroup';
