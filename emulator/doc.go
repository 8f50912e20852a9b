// Package emulator assembles the job-database emulator: the Elastic Jobs model, the T-SQL engine
// and the TDS server, served over TCP or in process through a go-mssqldb connector. It also exposes
// the fault injection and counters that end-to-end tests use.
//
// # Where the emulated behaviour comes from
//
// Comments in the emulator's packages tag what they copy from Azure with its source:
//
//   - [D] documented by Microsoft on Microsoft Learn: the "(Azure Elastic Jobs) (Transact-SQL)"
//     reference pages of the jobs.sp_* procedures and jobs.* views, such as "jobs.sp_add_job
//     (Azure Elastic Jobs) (Transact-SQL)"
//     (https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-job-elastic-jobs-transact-sql),
//     "Elastic jobs in Azure SQL Database"
//     (https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-overview) and
//     "Create and manage elastic jobs by using T-SQL"
//     (https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-tsql-create-manage).
//   - [S] seen in the T-SQL source of a real job database: a script of its jobs and jobs_internal
//     schemas (SQL Server Management Studio "Generate Scripts", 2021, preview era) with the bodies
//     of the jobs.sp_* procedures and of the internal procedures they call, the tables and their
//     CHECK constraints, but not the views. The script is not part of this repository. Job
//     databases since general availability (2023) differ at least in credentials, which became
//     optional with Microsoft Entra managed identities; the emulator relaxes those checks.
//   - [E] seen in an Entity Framework Core model scaffolded from a preview-era job database: the
//     names, types and nullability of the jobs.* views' columns and the unique indexes of the
//     jobs_internal tables.
//   - [I] inferred from the sources above: a guess.
//   - [U] unconfirmed, or the sources disagree: a guess to check against a real job database.
//
// Two tags on one statement mean both sources support it, or each supports a part of it.
//
// Rules taken from the reference pages, each tagged where it is implemented:
//
//   - the views' column types (jobstore's view columns; "jobs.jobsteps", "jobs.jobstep_versions",
//     "jobs.target_group_members" and "jobs.job_executions (Azure Elastic Jobs) (Transact-SQL)");
//   - target types SqlServer, SqlElasticPool and SqlDatabase, with no @shard_map_name (jobstore's
//     targetTypes; "jobs.sp_add_target_group_member"), and the same values in
//     jobs.job_executions, whose job and step rows have a NULL target_type (agent's nextStep);
//   - job names without % (jobstore's checkJobName; "jobs.sp_add_job"), whose error is assumed;
//   - the NULL defaults of sp_delete_job @job_name, sp_stop_job @job_execution_id and
//     sp_delete_target_group_member @target_id (jobstore's procs), an omitted one assumed to fail
//     as an explicit NULL does;
//   - DatabaseScopedCredential as the agent's default authentication (agent's auth.go; "Elastic
//     jobs in Azure SQL Database", section "Elastic job authentication").
//
// Where the service is undocumented, the agent simulation's rules are assumptions, listed as such
// in its package documentation; README.md lists which behaviours are documented and which assumed.
package emulator
