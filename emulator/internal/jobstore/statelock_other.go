//go:build !unix

package jobstore

import "os"

// lockState does nothing where advisory file locks are not available.
func lockState(string) (*os.File, error) { return nil, nil }
