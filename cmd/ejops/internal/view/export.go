package view

import "fmt"

// Export is the view of export. It has one form, text: export has no --format flag yet.
type Export struct{ *View }

// NewExport returns the export view.
func NewExport(v *View) Export { return Export{v} }

// Wrote lists a file written, on stdout.
func (v Export) Wrote(path string) { fmt.Fprintln(v.Stdout, path) }

// Exported ends the export of n files holding credentials credentials.
func (v Export) Exported(n, credentials int) {
	fmt.Fprintf(v.Stderr, "ejops: exported %s", Count(n, "file"))
	if credentials > 0 {
		fmt.Fprint(v.Stderr, "; credentials read their secrets from EJOPS_SECRET_* variables: set them or edit secretFrom")
	}
	fmt.Fprintln(v.Stderr)
}
