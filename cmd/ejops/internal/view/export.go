package view

import "fmt"

// Export is the view of export. It has one form, text: export has no --format flag yet.
type Export struct{ *View }

// NewExport returns the export view.
func NewExport(v *View) Export { return Export{v} }

// Wrote lists a file written, on stdout.
func (v Export) Wrote(path string) { fmt.Fprintln(v.Stdout, path) }

// Exported ends the export of n files.
func (v Export) Exported(n int) {
	fmt.Fprintf(v.Stderr, "ejops: exported %d files; credentials read their secrets from EJOPS_SECRET_* variables: set them or edit secretFrom\n", n)
}
