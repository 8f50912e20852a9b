// Command ejops keeps Azure SQL Elastic Jobs in sync with job specs in git.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
