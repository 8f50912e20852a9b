--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-target-group-member-elastic-jobs-transact-sql
--! example: Add one database to target group
--! expect: success
--! count 1: jobs.target_groups WHERE target_group_name = 'ElasticJobGroup'
--! count 1: jobs.target_group_members WHERE target_group_name = 'ElasticJobGroup' AND membership_type = 'Include' AND target_type = 'SqlDatabase' AND server_name = 'server1.database.windows.net' AND database_name = 'master'
-- @membership_type defaults to 'Include' (page, section @membership_type). The example's two
-- SELECTs name 'ServerGroup1', a group it does not create: they return no rows.
-- Connect to the job database specified when creating the job agent

-- Create a target group containing elastic job database
EXEC jobs.sp_add_target_group 'ElasticJobGroup';

-- Add a server target member
EXEC jobs.sp_add_target_group_member
@target_group_name = 'ElasticJobGroup',
@target_type = 'SqlDatabase',
@server_name = 'server1.database.windows.net',
@database_name = 'master';

--View the recently created target group and target group members
SELECT * FROM jobs.target_groups 
WHERE target_group_name='ServerGroup1';
GO
SELECT * FROM jobs.target_group_members 
WHERE target_group_name='ServerGroup1';
GO
