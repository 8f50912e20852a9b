// Package lint checks the T-SQL of job steps for idempotence under the job agent's retries and for
// statements Azure SQL Database rejects. It structures each step into batches, blocks, statements
// and existence guards, and reports rules EJ000–EJ502 as spec diagnostics at file positions.
package lint
