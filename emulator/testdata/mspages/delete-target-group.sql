--! page: https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-delete-target-group-elastic-jobs-transact-sql
--! example: Create a target group
--! setup: add-target-group.sql
--! expect: success
--! count 0: jobs.target_groups WHERE target_group_name = N'ServerGroup1'
-- Remove a target group member of type server
EXEC jobs.sp_delete_target_group
@target_group_name = N'ServerGroup1';
