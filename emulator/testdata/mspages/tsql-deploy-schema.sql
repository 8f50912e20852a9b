--! page: https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-tsql-create-manage
--! example: Deploy new schema to many databases
--! setup: tsql-target-pools.sql
--! expect: success
--! count 1: jobs.jobs WHERE job_name = 'CreateTableTest' AND description = 'Create Table Test' AND job_version = 1
--! count 1: jobs.jobsteps WHERE job_name = 'CreateTableTest' AND step_id = 1 AND step_name = 'JobStep' AND target_group_name = 'PoolGroup'
--Connect to the job database specified when creating the job agent

--Add job for create table
EXEC jobs.sp_add_job @job_name = 'CreateTableTest', @description = 'Create Table Test';

-- Add job step for create table
EXEC jobs.sp_add_jobstep @job_name = 'CreateTableTest',
@command = N'IF NOT EXISTS (SELECT * FROM sys.tables WHERE object_id = object_id(''Test''))
CREATE TABLE [dbo].[Test]([TestId] [int] NOT NULL);',
@target_group_name = 'PoolGroup';
