--! page: https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-tsql-create-manage
--! example: Monitor database performance
--! setup: tsql-target-pools.sql
--! expect: success
--! count 1: jobs.jobsteps WHERE job_name = 'ResultsJob' AND target_group_name = 'PoolGroup' AND output_type = 'SqlDatabase' AND output_server_name = 'server1.database.windows.net' AND output_database_name = '<resultsdb>' AND output_table_name = '<resultstable>'
--! count 1: jobs.target_group_members WHERE target_group_name = 'ElasticJobGroup' AND target_type = 'SqlDatabase' AND server_name = 'server1.database.windows.net' AND database_name = 'master'
--! count 1: jobs.jobs WHERE job_name = 'ResultsPoolsJob' AND description = 'Demo: Collection Performance data from all pools' AND schedule_interval_type = 'Minutes' AND schedule_interval_count = 15 AND enabled = 0 AND job_version = 1
--! count 1: jobs.jobsteps WHERE job_name = 'ResultsPoolsJob' AND target_group_name = 'ElasticJobGroup' AND output_type = 'SqlDatabase' AND output_database_name = 'resultsdb' AND output_table_name = 'resultstable' AND command LIKE N'declare @now datetime%'
-- sp_add_job leaves a job disabled unless @enabled = 1 ("jobs.sp_add_job", Arguments), so the
-- 15-minute schedule of ResultsPoolsJob does not fire yet.
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
@output_database_name = '<resultsdb>',
@output_table_name = '<resultstable>';

--Create a job to monitor pool performance

--Connect to the job database specified when creating the job agent

-- Add a target group containing elastic job database
EXEC jobs.sp_add_target_group 'ElasticJobGroup';

-- Add a server target member
EXEC jobs.sp_add_target_group_member
@target_group_name = 'ElasticJobGroup',
@target_type = 'SqlDatabase',
@server_name = 'server1.database.windows.net',
@database_name = 'master';

-- Add a job to collect perf results
EXEC jobs.sp_add_job
@job_name = 'ResultsPoolsJob',
@description = 'Demo: Collection Performance data from all pools',
@schedule_interval_type = 'Minutes',
@schedule_interval_count = 15;

-- Add a job step w/ schedule to collect results
EXEC jobs.sp_add_jobstep
@job_name='ResultsPoolsJob',
@command=N'declare @now datetime
DECLARE @startTime datetime
DECLARE @endTime datetime
DECLARE @poolLagMinutes datetime
DECLARE @poolStartTime datetime
DECLARE @poolEndTime datetime
SELECT @now = getutcdate ()
SELECT @startTime = dateadd(minute, -15, @now)
SELECT @endTime = @now
SELECT @poolStartTime = dateadd(minute, -30, @startTime)
SELECT @poolEndTime = dateadd(minute, -30, @endTime)

SELECT elastic_pool_name , end_time, elastic_pool_dtu_limit, avg_cpu_percent, avg_data_io_percent, avg_log_write_percent, max_worker_percent, max_session_percent,
        avg_storage_percent, elastic_pool_storage_limit_mb FROM sys.elastic_pool_resource_stats
        WHERE end_time > @poolStartTime and end_time <= @poolEndTime;
',
@target_group_name = 'ElasticJobGroup',
@output_type = 'SqlDatabase',
@output_server_name = 'server1.database.windows.net',
@output_database_name = 'resultsdb',
@output_table_name = 'resultstable';
