--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-update-jobstep-elastic-jobs-transact-sql
--! example: Update command of an elastic job step
--! setup: add-jobstep-tsql.sql
--! expect: success
--! count 1: jobs.jobs WHERE job_name = 'CreateTableTest' AND job_version = 2
--! count 1: jobs.jobsteps WHERE job_name = 'CreateTableTest' AND job_version = 2 AND step_id = 1 AND target_group_name = 'PoolGroup'
--! count 2: jobs.jobstep_versions WHERE job_name = 'CreateTableTest'
-- "When jobs.sp_update_jobstep succeeds, the job's version number is incremented" (Remarks).
--Connect to the job database specified when creating the elastic job agent

-- Add job step to create a table if it does not exist
EXEC jobs.sp_update_jobstep @job_name = 'CreateTableTest',
@command = N'IF NOT EXISTS (SELECT * FROM sys.tables WHERE object_id = object_id(''Test''))
CREATE TABLE [dbo].[Test]([TestId] [int] NOT NULL);',
@target_group_name = 'PoolGroup';
