--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-target-group-member-elastic-jobs-transact-sql
--! example: Add multiple databases to a target group
--! job-database: ElasticJobs
--! expect: success
--! count 2: jobs.target_group_members WHERE target_group_name = N'Servers Maintaining Customer Information' AND target_type = 'SqlServer' AND membership_type = 'Include'
--! count 1: jobs.target_group_members WHERE server_name = N'London.database.windows.net' AND database_name IS NULL AND refresh_credential_name IS NULL
--! count 1: jobs.target_group_members WHERE server_name = N'NewYork.database.windows.net'
--Connect to the jobs database specified when creating the job agent
USE ElasticJobs;
GO

-- Create a target group containing server(s)
EXEC jobs.sp_add_target_group @target_group_name =  N'Servers Maintaining Customer Information';
GO

-- Add a server target member
EXEC jobs.sp_add_target_group_member
@target_group_name = N'Servers Maintaining Customer Information',
@target_type = N'SqlServer',
--@refresh_credential_name=N'refresh_credential', --database-scoped credential
@server_name=N'London.database.windows.net';
GO

-- Add a server target member
EXEC jobs.sp_add_target_group_member
@target_group_name = N'Servers Maintaining Customer Information',
@target_type = N'SqlServer',
--@refresh_credential_name=N'refresh_credential', --database-scoped credential
@server_name=N'NewYork.database.windows.net';
GO

--View the recently added members to the target group
SELECT * FROM [jobs].target_group_members 
WHERE target_group_name= N'Servers Maintaining Customer Information';
GO
