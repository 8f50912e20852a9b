// Package jobdb is the job database adapter: it opens a connection (sqlserver://, azuresql:// or the
// embedded emulator), reads the whole live state in one round trip, and calls the jobs.sp_*
// procedures with named parameters.
package jobdb
