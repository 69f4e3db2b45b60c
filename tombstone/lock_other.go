//go:build !unix

package tombstone

// Lock is a no-op where flock is unavailable: a log must then not be opened
// twice.
func (f osFile) Lock() error { return nil }
