-- Microsoft Learn, "Create and manage elastic jobs by using T-SQL", run against the job database.

-- Authentication: a master key and two database scoped credentials.
CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<EnterStrongPasswordHere>';

CREATE DATABASE SCOPED CREDENTIAL job_credential WITH IDENTITY = 'job_credential',
    SECRET = '<EnterStrongPasswordHere>';
GO
CREATE DATABASE SCOPED CREDENTIAL refresh_credential WITH IDENTITY = 'refresh_credential',
    SECRET = '<EnterStrongPasswordHere>';
GO
SELECT name, credential_identity FROM sys.database_scoped_credentials ORDER BY name;
GO

-- Target a server.
EXEC jobs.sp_add_target_group 'ServerGroup1';

EXEC jobs.sp_add_target_group_member
    @target_group_name = 'ServerGroup1',
    @target_type = 'SqlServer',
    @refresh_credential_name = 'refresh_credential', -- enumerates the databases of the server
    @server_name = 'server1.database.windows.net';

SELECT target_group_name FROM jobs.target_groups WHERE target_group_name = 'ServerGroup1';
SELECT target_group_name, membership_type, target_type, server_name
FROM jobs.target_group_members WHERE target_group_name = 'ServerGroup1';
GO

-- Exclude a single database from a server target group.
EXEC [jobs].sp_add_target_group N'ServerGroup';
GO
EXEC [jobs].sp_add_target_group_member
    @target_group_name = N'ServerGroup',
    @target_type = N'SqlServer',
    @refresh_credential_name = N'refresh_credential',
    @server_name = N'London.database.windows.net';
GO
EXEC [jobs].sp_add_target_group_member
    @target_group_name = N'ServerGroup',
    @target_type = N'SqlServer',
    @refresh_credential_name = N'refresh_credential',
    @server_name = 'server2.database.windows.net';
GO
EXEC [jobs].sp_add_target_group_member
    @target_group_name = N'ServerGroup',
    @membership_type = N'Exclude',
    @target_type = N'SqlDatabase',
    @server_name = N'server1.database.windows.net',
    @database_name = N'MappingDB';
GO
SELECT membership_type, target_type, server_name, database_name
FROM jobs.target_group_members
WHERE target_group_name = N'ServerGroup'
ORDER BY membership_type DESC, server_name;
GO

-- Target an elastic pool.
EXEC jobs.sp_add_target_group 'PoolGroup';

EXEC jobs.sp_add_target_group_member
    @target_group_name = 'PoolGroup',
    @target_type = 'SqlElasticPool',
    @refresh_credential_name = 'refresh_credential',
    @server_name = 'server1.database.windows.net',
    @elastic_pool_name = 'ElasticPool-1';

SELECT target_type, elastic_pool_name FROM jobs.target_group_members WHERE target_group_name = N'PoolGroup';
GO

-- Deploy a new schema to many databases.
EXEC jobs.sp_add_job @job_name = 'CreateTableTest', @description = 'Create Table Test';

EXEC jobs.sp_add_jobstep @job_name = 'CreateTableTest',
    @command = N'IF NOT EXISTS (SELECT * FROM sys.tables WHERE object_id = object_id(''Test''))
CREATE TABLE [dbo].[Test]([TestId] [int] NOT NULL);',
    @credential_name = 'job_credential',
    @target_group_name = 'PoolGroup';
GO

-- Data collection with an output table.
EXEC jobs.sp_add_job @job_name = 'ResultsJob', @description = 'Collection Performance data from all customers';

EXEC jobs.sp_add_jobstep @job_name = 'ResultsJob',
    @command = N'SELECT DB_NAME() DatabaseName, $(job_execution_id) AS job_execution_id, * FROM sys.dm_db_resource_stats WHERE end_time > DATEADD(mi, -20, GETDATE());',
    @credential_name = 'job_credential',
    @target_group_name = 'PoolGroup',
    @output_type = 'SqlDatabase',
    @output_credential_name = 'job_credential',
    @output_server_name = 'server1.database.windows.net',
    @output_database_name = 'resultsdb',
    @output_table_name = 'resultstable';
GO

-- View job definitions.
SELECT job_name, job_version, description, enabled FROM jobs.jobs ORDER BY job_name;

SELECT js.job_name, js.step_id, js.step_name, js.target_group_name, js.output_schema_name
FROM jobs.jobsteps js
JOIN jobs.jobs j
  ON j.job_id = js.job_id AND j.job_version = js.job_version
ORDER BY js.job_name;

SELECT COUNT(*) AS step_versions FROM jobs.jobstep_versions;
GO

-- Begin an unplanned execution of a job.
DECLARE @je uniqueidentifier;
EXEC jobs.sp_start_job 'CreateTableTest', @job_execution_id = @je OUTPUT;

SELECT job_name, lifecycle, is_active, step_id
FROM jobs.job_executions
WHERE job_execution_id = @je;
GO

-- Schedule a job for recurring execution.
EXEC jobs.sp_update_job
    @job_name = 'ResultsJob',
    @enabled = 1,
    @schedule_interval_type = 'Minutes',
    @schedule_interval_count = 15;

SELECT job_name, enabled, schedule_interval_type, schedule_interval_count
FROM jobs.jobs WHERE job_name = 'ResultsJob';
GO

-- Monitor job execution status.
SELECT COUNT(*) AS executions FROM jobs.job_executions WHERE job_name = 'CreateTableTest' AND step_id IS NULL;
GO
SELECT TOP (1) job_name, step_id FROM jobs.job_executions WHERE is_active = 1 OR is_active = 0 ORDER BY create_time DESC;
GO

-- Cancel a job.
DECLARE @je uniqueidentifier;
SELECT TOP (1) @je = job_execution_id FROM jobs.job_executions WHERE job_name = 'CreateTableTest' AND step_id IS NULL;
EXEC jobs.sp_stop_job @je;
PRINT 'cancel requested';

-- sp_stop_job only records the request; the execution stays active until the agent cancels it.
SELECT job_name, lifecycle, is_active
FROM jobs.job_executions
WHERE job_execution_id = @je AND step_id IS NULL;
GO

-- Delete old history.
EXEC jobs.sp_purge_jobhistory @job_name = 'CreateTableTest', @oldest_date = '2016-07-01 00:00:00';
GO

-- Delete a job and all its history.
EXEC jobs.sp_delete_job @job_name = 'ResultsJob';
SELECT job_name FROM jobs.jobs ORDER BY job_name;
GO

-- Errors come back as SQL Server reports them.
EXEC jobs.sp_delete_job @job_name = 'ResultsJob';
GO
SELECT job_name FROM jobs.jobz;
GO
