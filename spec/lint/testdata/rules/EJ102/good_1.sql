SELECT N'$(job_name)' AS JobName;
