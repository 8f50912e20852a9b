--! page: https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-tsql-create-manage
--! example: Schedule execution of a job
--! setup: tsql-monitor-performance.sql
--! expect: success
--! count 1: jobs.jobs WHERE job_name = 'ResultsJob' AND enabled = 1 AND schedule_interval_type = 'Minutes' AND schedule_interval_count = 15
--Connect to the job database specified when creating the job agent

EXEC jobs.sp_update_job
@job_name = 'ResultsJob',
@enabled=1,
@schedule_interval_type = 'Minutes',
@schedule_interval_count = 15;
