// Package jobstore is an Azure SQL Elastic Jobs job database in pure Go: the jobs.sp_* procedures with
// their parameters, validation order and error texts, the jobs.* catalog views, database scoped
// credentials, plain user tables, transactions (a database-wide write lock taken at a transaction's
// first write, snapshot reads for everyone else), application locks, and the execution tree that an
// agent simulation drives through AddExecution and UpdateExecution, or many changes in one commit
// through Batch.
//
// With Options.StatePath the whole model is written to a file (temp file, fsync, rename) on every
// commit and reloaded at Open. The file ends with a SHA-256 of its content: Open refuses a damaged
// file, naming it, reads a file of the format written before the checksum existed, and removes the
// temporary files a stopped save left behind. Credential secrets never show in views, errors or String methods; in
// the state file they are sealed with AES-256-GCM under a random key kept beside it
// (StatePath + ".key", mode 0600), and DB.Credential is the only way to read one back.
//
// Comments tag what the model copies from Azure with its source, [D], [S], [E], [I] or [U], as
// the emulator package documentation explains.
package jobstore
