//go:build unix

package tombstone

import "syscall"

// Lock takes an exclusive advisory lock on the file (flock), failing at once
// if another open file description holds it, so that two Logs, in this or
// another process, never append to one file.
func (f osFile) Lock() error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
