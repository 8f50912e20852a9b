--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-target-group-member-elastic-jobs-transact-sql
--! example: Exclude databases on a logical server
--! expect: success
--! count 1: jobs.target_groups WHERE target_group_name = N'ServerGroup'
--! count 1: jobs.target_group_members WHERE target_group_name = N'ServerGroup' AND membership_type = 'Include' AND target_type = 'SqlServer' AND server_name = N'server1.database.windows.net'
--! count 2: jobs.target_group_members WHERE target_group_name = N'ServerGroup' AND membership_type = 'Exclude' AND target_type = 'SqlDatabase' AND database_name IN (N'MappingDB', N'MappingDB2')
--Connect to the job database specified when creating the job agent

-- Create a target group containing server(s)
EXEC [jobs].sp_add_target_group N'ServerGroup';
GO

-- Add a server target member
EXEC jobs.sp_add_target_group_member
@target_group_name = N'ServerGroup',
@target_type = N'SqlServer',
@server_name=N'server1.database.windows.net';
GO

--Exclude one database from a server target group
EXEC [jobs].sp_add_target_group_member
@target_group_name = N'ServerGroup',
@membership_type = N'Exclude',
@target_type = N'SqlDatabase',
@server_name = N'server1.database.windows.net',
@database_name = N'MappingDB';
GO

--Exclude another database from a server target group
EXEC [jobs].sp_add_target_group_member
@target_group_name = N'ServerGroup',
@membership_type = N'Exclude',
@target_type = N'SqlDatabase',
@server_name = N'server1.database.windows.net',
@database_name = N'MappingDB2';
GO

--View the recently created target group and target group members
SELECT * FROM [jobs].target_groups 
WHERE target_group_name = N'ServerGroup';
GO
SELECT * FROM [jobs].target_group_members
WHERE target_group_name = N'ServerGroup';
GO
