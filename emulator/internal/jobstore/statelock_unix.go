//go:build unix

package jobstore

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockState takes an exclusive advisory lock beside the state file, so two processes never
// write the same job database; the lock goes with the returned file.
func lockState(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock state file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("state file %s is in use by another process (an ejops emulator or command); stop it or use another state file", path)
		}
		return nil, fmt.Errorf("lock state file %s: %w", path, err)
	}
	return f, nil
}
