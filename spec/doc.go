// Package spec loads ejops job specs from YAML files, checks them against the JSON Schema and the
// job database's rules, and reports every problem with its file, line and column.
package spec
