--! page: https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-tsql-create-manage
--! example: View job definitions
--! setup: tsql-monitor-performance.sql tsql-deploy-schema.sql
--! expect: success
--! count 3: jobs.jobs j JOIN jobs.jobsteps js ON j.job_id = js.job_id AND j.job_version = js.job_version
--Connect to the job database specified when creating the job agent

-- View all jobs
SELECT * FROM jobs.jobs;

-- View the steps of the current version of all jobs
SELECT js.* FROM jobs.jobsteps js
JOIN jobs.jobs j
  ON j.job_id = js.job_id AND j.job_version = js.job_version;

-- View the steps of all versions of all jobs
SELECT * FROM jobs.jobsteps;
