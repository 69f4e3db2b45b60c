package tombstone

import (
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
)

// memFS is an in-memory file system that remembers what has been made
// durable: file contents as of their last Sync, directory entries as of the
// last SyncDir. powerLoss returns what a machine would find after losing
// power, keeping none, all or a random prefix of the unsynced appends.
type memFS struct {
	mu      sync.Mutex
	entries map[string]*memInode // current directory entries, by full path
	durable map[string]*memInode // entries as of the last SyncDir
}

type memInode struct {
	data   []byte
	synced []byte
}

func newMemFS() *memFS {
	return &memFS{entries: make(map[string]*memInode), durable: make(map[string]*memInode)}
}

// Unsynced data kept by powerLoss.
const (
	keepNone = iota
	keepAll
	keepSome
)

func (m *memFS) powerLoss(keep int, rng *rand.Rand) *memFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := newMemFS()
	seen := make(map[*memInode]*memInode)
	for name, ino := range m.durable {
		n, ok := seen[ino]
		if !ok {
			data := slices.Clone(ino.synced)
			switch keep {
			case keepAll:
				data = slices.Clone(ino.data)
			case keepSome:
				// Appends past the synced size survive up to a random point.
				if len(ino.data) > len(ino.synced) && slices.Equal(ino.data[:len(ino.synced)], ino.synced) {
					data = slices.Clone(ino.data[:len(ino.synced)+rng.IntN(len(ino.data)-len(ino.synced)+1)])
				}
			}
			n = &memInode{data: data, synced: slices.Clone(data)}
			seen[ino] = n
		}
		out.entries[name] = n
		out.durable[name] = n
	}
	return out
}

func (m *memFS) MkdirAll(string) error { return nil }

func (m *memFS) OpenFile(name string) (file, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ino, ok := m.entries[filepath.Clean(name)]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{fs: m, ino: ino}, nil
}

func (m *memFS) Create(name string) (file, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ino, ok := m.entries[filepath.Clean(name)]
	if ok {
		ino.data = nil
	} else {
		ino = &memInode{}
		m.entries[filepath.Clean(name)] = ino
	}
	return &memFile{fs: m, ino: ino}, nil
}

func (m *memFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ino, ok := m.entries[filepath.Clean(oldname)]
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldname, Err: fs.ErrNotExist}
	}
	delete(m.entries, filepath.Clean(oldname))
	m.entries[filepath.Clean(newname)] = ino
	return nil
}

func (m *memFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[filepath.Clean(name)]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(m.entries, filepath.Clean(name))
	return nil
}

// SyncDir makes every entry durable; the tests use a single directory.
func (m *memFS) SyncDir(string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.durable = make(map[string]*memInode, len(m.entries))
	for name, ino := range m.entries {
		m.durable[name] = ino
	}
	return nil
}

// names returns the current entries.
func (m *memFS) names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for name := range m.entries {
		out = append(out, name)
	}
	return out
}

type memFile struct {
	fs  *memFS
	ino *memInode
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if off >= int64(len(f.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if end := int(off) + len(p); end > len(f.ino.data) {
		f.ino.data = append(f.ino.data, make([]byte, end-len(f.ino.data))...)
	}
	return copy(f.ino.data[off:], p), nil
}

func (f *memFile) Size() (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	return int64(len(f.ino.data)), nil
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.ino.synced = slices.Clone(f.ino.data)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if int(size) <= len(f.ino.data) {
		f.ino.data = f.ino.data[:size:size]
	} else {
		f.ino.data = append(f.ino.data, make([]byte, int(size)-len(f.ino.data))...)
	}
	return nil
}

func (f *memFile) Lock() error  { return nil }
func (f *memFile) Close() error { return nil }
