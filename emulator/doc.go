// Package emulator assembles the job-database emulator: the Elastic Jobs model, the T-SQL engine
// and the TDS server, served over TCP or in process through a go-mssqldb connector. It also exposes
// the fault injection and counters that end-to-end tests use.
package emulator
