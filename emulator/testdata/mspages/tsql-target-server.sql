--! page: https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-tsql-create-manage
--! example: Define target servers and databases
--! expect: success
--! count 1: jobs.target_groups WHERE target_group_name = 'ServerGroup1'
--! count 1: jobs.target_group_members WHERE target_group_name = 'ServerGroup1' AND target_type = 'SqlServer' AND server_name = 'server1.database.windows.net' AND membership_type = 'Include'
-- Connect to the job database specified when creating the job agent

-- Add a target group containing server(s)
EXEC jobs.sp_add_target_group 'ServerGroup1';

-- Add a server target member
EXEC jobs.sp_add_target_group_member
@target_group_name = 'ServerGroup1',
@target_type = 'SqlServer',
@server_name = 'server1.database.windows.net';

--View the recently created target group and target group members
SELECT * FROM jobs.target_groups WHERE target_group_name='ServerGroup1';
SELECT * FROM jobs.target_group_members WHERE target_group_name='ServerGroup1';
