//go:build !unix

package jobdb

import "os"

// lockState does nothing where advisory file locks are not available.
func lockState(string) (*os.File, error) { return nil, nil }
