--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-target-group-elastic-jobs-transact-sql
--! example: Create a target group
--! expect: success
--! count 1: jobs.target_groups WHERE target_group_name = N'ServerGroup1'
-- Add a target group containing server(s)
EXEC [jobs].sp_add_target_group @target_group_name = N'ServerGroup1';
