--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-target-group-member-elastic-jobs-transact-sql
--! example: Create a target group (pools)
--! expect: success
--! count 1: jobs.target_groups WHERE target_group_name = N'PoolGroup'
--! count 1: jobs.target_group_members WHERE target_group_name = N'PoolGroup' AND target_type = 'SqlElasticPool' AND server_name = 'server1.database.windows.net' AND elastic_pool_name = 'ElasticPool1' AND membership_type = 'Include'
--Connect to the job database specified when creating the job agent

-- Create a target group containing pool(s)
EXEC jobs.sp_add_target_group 'PoolGroup';

-- Add an elastic pool(s) target member
EXEC jobs.sp_add_target_group_member
@target_group_name = 'PoolGroup',
@target_type = 'SqlElasticPool',
@server_name = 'server1.database.windows.net',
@elastic_pool_name = 'ElasticPool1';

-- View the recently created target group and target group members
SELECT * FROM jobs.target_groups 
WHERE target_group_name = N'PoolGroup';
GO
SELECT * FROM jobs.target_group_members 
WHERE target_group_name = N'PoolGroup';
GO
