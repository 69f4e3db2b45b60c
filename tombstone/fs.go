package tombstone

import (
	"io"
	"os"
)

// fileSystem is the seam through which the log touches the disk, so that
// tests can fail any single operation (see fault_test.go). Every method is
// one operation that can fail.
type fileSystem interface {
	// MkdirAll creates dir and its parents.
	MkdirAll(dir string) error
	// OpenFile opens an existing file for reading and writing.
	OpenFile(name string) (file, error)
	// Create creates or truncates a file for reading and writing.
	Create(name string) (file, error)
	// Rename atomically replaces newname with oldname.
	Rename(oldname, newname string) error
	// Remove deletes a file.
	Remove(name string) error
	// SyncDir makes the directory's entries (creations, renames) durable.
	SyncDir(dir string) error
}

// file is an open log file.
type file interface {
	io.ReaderAt
	io.WriterAt
	// Size returns the file's current size.
	Size() (int64, error)
	// Sync makes the file's contents durable.
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Lock takes an exclusive lock held until Close, failing at once if
	// another open handle of the file holds it.
	Lock() error
	Close() error
}

// osFS is the real file system.
type osFS struct{}

func (osFS) MkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

func (osFS) OpenFile(name string) (file, error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Create(name string) (file, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

func (osFS) Remove(name string) error { return os.Remove(name) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return err
	}
	return d.Close()
}

type osFile struct{ *os.File }

func (f osFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// readAll reads the whole file.
func readAll(f file) ([]byte, error) {
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, 0)
	if err == io.EOF && int64(n) == size {
		err = nil
	}
	return buf[:n], err
}
