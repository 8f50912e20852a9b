--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-purge-jobhistory-elastic-jobs-transact-sql
--! example: Delete a job and all its job history
--! setup: tsql-monitor-performance.sql
--! expect: success
--! count 0: jobs.jobs WHERE job_name = 'ResultsPoolsJob'
--! count 0: jobs.jobsteps WHERE job_name = 'ResultsPoolsJob'
--! count 0: jobs.job_versions WHERE job_name = 'ResultsPoolsJob'
-- "Job history is automatically deleted when a job is deleted" ("jobs.sp_delete_job", Remarks).
--Connect to the job database specified when creating the job agent

--Delete a job and all its history
EXEC jobs.sp_delete_job @job_name='ResultsPoolsJob';
