// Package jobdb is the job database adapter: it opens a connection (sqlserver://, azuresql:// or the
// embedded emulator), reads the whole live state in one round trip, and applies in one transaction
// under an application lock, calling the jobs.sp_* procedures with named parameters in batches.
package jobdb
