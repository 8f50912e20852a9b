// Package schema holds the JSON Schema of ejops specs, embedded in the binary, and validates decoded
// YAML documents against it. Each violation names the JSON pointer of the offending value so the
// spec loader can map it back to a line and column.
package schema
