// Package tds is a TDS 7.4 server without TLS: prelogin, login, SQL batches, RPC, transaction
// manager requests and attention, enough for go-mssqldb, FreeTDS and other SQL Server clients.
// A Server decodes each request, hands it to a Handler's Session and encodes the sqlval.Reply as
// tokens; see README.md for how wire types map to sqlval types.
package tds
