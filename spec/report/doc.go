// Package report renders spec diagnostics for people and for CI: gcc-style text, a stable JSON array,
// GitHub Actions workflow commands with a step summary, and SARIF 2.1.0 for code scanning. Every
// format takes the same sorted diagnostics; the machine formats also take the rules' metadata.
package report
