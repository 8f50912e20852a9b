// Package targetdb serves the databases of the agent simulation's fleet: each logical server of
// the fleet listens on its own port of 127.0.0.1 and answers TDS logins to its databases, the
// catalog queries that resolve servers and elastic pools into databases, and the queries that
// check a database before a job runs on it. Each database keeps its tables in an in-memory store
// of its own, created when first used, run by the emulator's T-SQL engine (sqlexec) without the
// job database's jobs schema. The current fleet is read at every login and query, so a reloaded
// fleet file takes effect at once. Databases is also the agent simulation's Executor: the T-SQL of
// steps on databases that set execute: true runs in the same stores, so the tables it creates are
// seen by the served servers, and outputs go to the output database's store.
//
// Rules taken from Microsoft's pages:
//
//   - sys.databases has one row per database; master is database_id 1 ("sys.databases
//     (Transact-SQL)", https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-databases-transact-sql:
//     in Azure SQL Database, master shows every database of the server, a user database master and
//     itself).
//   - sys.database_service_objectives gives database_id, edition, service_objective and
//     elastic_pool_name; a pooled database's service_objective is ElasticPool, a single database's
//     elastic_pool_name is NULL; in master it covers every database, elsewhere the current one
//     ("sys.database_service_objectives (Azure SQL Database)",
//     https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-database-service-objectives-azure-sql-database).
//   - A login to a database the server does not have fails with Msg 4060 "Cannot open database
//     "%.*ls" requested by the login. The login failed." ("MSSQLSERVER_4060",
//     https://learn.microsoft.com/sql/relational-databases/errors-events/mssqlserver-4060-database-engine-error).
//   - A login whose user does not exist fails with Msg 18456 "Login failed for user '%.*ls'."
//     ("MSSQLSERVER_18456", https://learn.microsoft.com/sql/relational-databases/errors-events/mssqlserver-18456-database-engine-error);
//     the fleet's logins decide which users exist, by the rule the agent simulation applies.
//   - HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', permission) is 1 when the user holds the permission
//     ("HAS_PERMS_BY_NAME (Transact-SQL)", https://learn.microsoft.com/sql/t-sql/functions/has-perms-by-name-transact-sql);
//     COL_LENGTH, OBJECT_ID, SCHEMA_ID, sys.columns and sys.index_columns answer from the
//     database's tables ("COL_LENGTH (Transact-SQL)", "sys.columns (Transact-SQL)",
//     "sys.index_columns (Transact-SQL)" on learn.microsoft.com).
//
// Assumptions [I]:
//
//   - Passwords are not checked: any password of any login works where the user exists.
//   - An unreachable server (Server.Unreachable) accepts TCP connections and never answers, as
//     behind a firewall that drops packets, so clients time out.
//   - Every user that may log in holds every permission in its database (CONNECT, CREATE TABLE),
//     and USER_NAME() is the login's name.
//   - User databases are numbered from database_id 5 in the order they are first seen; standalone
//     databases are Standard S0, pooled ones Standard ElasticPool, master System System.
//   - sys.columns and sys.index_columns carry a subset of their documented columns; a table's
//     primary key is its index 1, the indexes the fleet declares follow. A declared table's
//     internal_execution_id column is a uniqueidentifier, its other columns nvarchar(4000) NULL.
//   - An executed step stops at its first error, terminating or not; its output rows go to the
//     output table by column name, and a created output table has the result set's columns, all
//     NULL-able, then internal_execution_id, a random uniqueidentifier per attempt. An output
//     database the fleet lacks fails the attempt with Msg 4060, a server the fleet lacks as one
//     that does not answer. A step runs while the agent holds the job database, so a slow one
//     delays the emulator's other requests; each run is cut off after 30 s.
//   - The contents of the fleet's databases live in memory: they do not survive a restart.
//   - A server added to the fleet after serving began is not served; a served server that left the
//     fleet refuses logins with Msg 40532.
package targetdb
