// Package tsql is a T-SQL lexer with exact positions, the base of the step lint and of the emulator's
// SQL parser. It reads nested comments, N” strings, [bracketed] and "quoted" identifiers, sqlcmd
// lines, $(var) references and whole-line GO separators, and never fails on bad input.
package tsql
