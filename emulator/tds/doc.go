// Package tds is a TDS 7.4 server without TLS: prelogin, login, SQL batches, RPC, transaction
// manager requests and attention, enough for go-mssqldb, FreeTDS and other SQL Server clients.
package tds
