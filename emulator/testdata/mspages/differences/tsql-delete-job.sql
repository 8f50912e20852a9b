--! page: https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-tsql-create-manage
--! example: Delete a job and all its job history
--! setup: tsql-monitor-performance.sql
--! expect: success
--! count 0: jobs.jobs WHERE job_name = 'ResultsPoolsJob'
--! count 0: jobs.job_versions WHERE job_name = 'ResultsPoolsJob'
--! count 1: jobs.jobs WHERE job_name = 'ResultsJob'
--Connect to the job database specified when creating the job agent

EXEC jobs.sp_delete_job @job_name='ResultsPoolsJob';
EXEC jobs.sp_purge_jobhistory @job_name='ResultsPoolsJob';

--Note: job history is automatically deleted if it is >45 days old
