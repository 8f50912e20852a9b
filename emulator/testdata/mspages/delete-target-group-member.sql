--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-delete-target-group-member-elastic-jobs-transact-sql
--! example: Remove a server from a target group
--! setup: add-target-group-member-servers.sql
--! job-database: ElasticJobs
--! expect: success
--! count 0: jobs.target_group_members WHERE server_name = 'London.database.windows.net'
--! count 1: jobs.target_group_members WHERE target_group_name = 'Servers Maintaining Customer Information' AND server_name = 'NewYork.database.windows.net'
--Connect to the jobs database specified when creating the job agent
USE ElasticJobs ;
GO

-- Retrieve the target_id for a target_group_members
DECLARE @tid uniqueidentifier
SELECT @tid = target_id
FROM [jobs].target_group_members
WHERE target_group_name = 'Servers Maintaining Customer Information'
AND server_name = 'London.database.windows.net';

-- Remove a target group member of type server
EXEC jobs.sp_delete_target_group_member
@target_group_name = N'Servers Maintaining Customer Information',
@target_id = @tid;
GO
