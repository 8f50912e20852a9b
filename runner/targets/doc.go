// Package targets resolves target groups into databases the way the elastic job agent does, and
// checks that a job's steps can reach and log in to each of them, before the job runs.
//
// Resolution follows "Elastic jobs in Azure SQL Database"
// (https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-overview), section "Target
// group": Include members are expanded, then Exclude members removed; a server is every database on
// it but master, an elastic pool the databases in it. Servers and pools are listed through
// sys.databases ("sys.databases (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-databases-transact-sql)
// and sys.database_service_objectives ("sys.database_service_objectives",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-database-service-objectives-azure-sql-database),
// connected to master as the member's refresh credential. The check connects to each database as
// the step's credential and asks DB_NAME, USER_NAME and HAS_PERMS_BY_NAME; a step's output table is
// checked for what "jobs.sp_add_jobstep (Azure Elastic Jobs)"
// (https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-jobstep-elastic-jobs-transact-sql)
// requires of it: the internal_execution_id column with an index on it.
//
// Target servers are reached through go-mssqldb; EJOPS_TARGET_MAP (see ParseMap) routes server
// names to other addresses for local trials and tests. Secrets are never printed, logged or put in
// an error.
package targets
