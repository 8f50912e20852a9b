// Package sqlexec parses and runs the T-SQL subset the job-database emulator understands, on top of
// the job database model. Its Handler implements the TDS server's Handler and Session interfaces:
// SQL batches, RPC by name, sp_executesql, application locks and transactions.
package sqlexec
