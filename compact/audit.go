package compact

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pqsql/pqsql/tables"
	"github.com/pqsql/pqsql/tombstone"
)

// erasuresExt ends a table's erasure audit file in the state directory.
const erasuresExt = ".erasures"

// Erasure is one audit record: one deleted key that a VACUUM physically
// removed. The key itself is kept nowhere; KeyHash identifies it to whoever
// holds the secret.
type Erasure struct {
	Table string `json:"table"`
	// Seq is the sequence number of the DELETE.
	Seq       uint64 `json:"seq"`
	KeyColumn string `json:"key_column"`
	// KeyHash is KeyHash(secret, key), hex.
	KeyHash   string    `json:"key_hash"`
	DeletedAt time.Time `json:"deleted_at"`
	// Actor and Reason are the DELETE's.
	Actor  string `json:"actor"`
	Reason string `json:"reason"`
	// VacuumedAt, VacuumedBy and VacuumSeq identify the VACUUM.
	VacuumedAt time.Time `json:"vacuumed_at"`
	VacuumedBy string    `json:"vacuumed_by"`
	VacuumSeq  uint64    `json:"vacuum_seq"`
	// RowsRemoved counts the rows removed for this DELETE of this key.
	RowsRemoved int64 `json:"rows_removed"`
}

// KeyHash returns the hex HMAC-SHA256 under secret of k's canonical bytes:
// its kind byte, then for integer, date and timestamp keys the value as 8
// big-endian bytes, for bool one byte, for text, bytea and uuid the bytes.
func KeyHash(secret []byte, k tombstone.Key) string {
	return newKeyHasher(secret).hash(k)
}

// keyHasher computes KeyHash for many keys under one secret, reusing the
// HMAC state and buffers: a VACUUM can hash millions of keys.
type keyHasher struct {
	m   hash.Hash
	buf []byte
}

func newKeyHasher(secret []byte) *keyHasher {
	return &keyHasher{m: hmac.New(sha256.New, secret)}
}

func (h *keyHasher) hash(k tombstone.Key) string {
	b := append(h.buf[:0], byte(k.Kind()))
	switch k.Kind() {
	case tombstone.KindText, tombstone.KindBytes, tombstone.KindUUID:
		// Text returns the bytes of all three kinds without copying.
		b = append(b, k.Text()...)
	case tombstone.KindBool:
		if k.Bool() {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	default:
		b = binary.BigEndian.AppendUint64(b, uint64(k.Int()))
	}
	h.m.Reset()
	h.m.Write(b)
	b = h.m.Sum(b[:0])
	h.buf = b
	return hex.EncodeToString(b)
}

// auditPath returns the path of t's erasure audit file.
func auditPath(t *tables.Table) (string, error) {
	name, err := tombstone.FileName(t.Name())
	if err != nil {
		return "", err
	}
	return filepath.Join(t.StateDir(), strings.TrimSuffix(name, ".tlog")+erasuresExt), nil
}

// appendErasures durably appends entries to t's audit file, one JSON line
// each, after cutting off a torn last line. The lines are streamed to the
// file rather than built in memory: a VACUUM can apply millions of
// tombstones.
func appendErasures(t *tables.Table, entries iter.Seq[Erasure]) error {
	path, err := auditPath(t)
	if err != nil {
		return err
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("append erasures: %w", err)
	}
	err = func() error {
		end, err := goodEnd(f)
		if err != nil {
			return err
		}
		if err := f.Truncate(end); err != nil {
			return err
		}
		if _, err := f.Seek(end, io.SeekStart); err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 256<<10)
		// One JSON line per entry, as json.Encoder.Encode writes it.
		var enc erasureEncoder
		var line []byte
		for e := range entries {
			if line, err = enc.append(line[:0], &e); err != nil {
				return err
			}
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return f.Sync()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append erasures to %s: %w", path, err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := syncDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("append erasures: %w", err)
		}
	}
	return nil
}

// syncDir fsyncs a directory, making a file created in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return fmt.Errorf("sync directory %s: %w", dir, serr)
	}
	return cerr
}

// goodEnd returns the offset just past the last newline of f: a crash can
// leave a partial last line, which was never part of a committed VACUUM.
func goodEnd(f *os.File) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := info.Size()
	const chunk = 4096
	buf := make([]byte, chunk)
	for end := size; end > 0; {
		start := max(0, end-chunk)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// Erasures returns the table's erasure audit: one record per key a
// committed VACUUM erased, in the order they were erased, for the admin
// table pqsql_erasures. Records a VACUUM wrote before failing to commit
// are left out, and a DELETE of a key counts once (the VACUUM that
// committed it).
func Erasures(t *tables.Table) ([]Erasure, error) {
	path, err := auditPath(t)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read erasures: %w", err)
	}
	applied := t.AppliedSeq()
	type id struct {
		seq  uint64
		hash string
	}
	// A crash can leave a partial last line; its VACUUM never committed.
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		data = data[:i+1]
	}
	var out []Erasure
	at := make(map[id]int)
	for lineNo, line := range bytes.Split(bytes.TrimSuffix(data, []byte{'\n'}), []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var e Erasure
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("read erasures %s line %d: %w", path, lineNo+1, err)
		}
		if e.VacuumSeq > applied {
			continue
		}
		k := id{e.Seq, e.KeyHash}
		if i, ok := at[k]; ok {
			// The later record is of the VACUUM that committed.
			if e.VacuumSeq >= out[i].VacuumSeq {
				out[i] = e
			}
			continue
		}
		at[k] = len(out)
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b Erasure) int { return a.VacuumedAt.Compare(b.VacuumedAt) })
	return out, nil
}

// erasureEncoder writes Erasures as json.Encoder.Encode does, byte for
// byte, several times faster and without garbage: a VACUUM can record
// millions, and encoding/json's reflection and time formatting took more
// CPU than the new file's verification. Strings and times that repeat from
// one entry to the next (the table, the actor, the VACUUM's time, usually
// the DELETE's) are encoded once.
type erasureEncoder struct {
	strs  [5]cachedJSON[string]
	times [2]cachedJSON[time.Time]
}

// cachedJSON is the JSON encoding of the last value of one field.
type cachedJSON[T comparable] struct {
	ok   bool
	v    T
	json []byte
}

// get returns the JSON of v, encoding it with enc unless v is the cached
// value.
func (c *cachedJSON[T]) get(v T, enc func([]byte, T) ([]byte, error)) ([]byte, error) {
	if c.ok && c.v == v {
		return c.json, nil
	}
	b, err := enc(c.json[:0], v)
	if err != nil {
		c.ok = false
		return nil, err
	}
	c.ok, c.v, c.json = true, v, b
	return b, nil
}

// append appends e's JSON line, with its newline, to b.
func (enc *erasureEncoder) append(b []byte, e *Erasure) ([]byte, error) {
	var err error
	str := func(i int, name, v string) {
		if err != nil {
			return
		}
		var j []byte
		if j, err = enc.strs[i].get(v, appendJSONString); err == nil {
			b = append(append(b, name...), j...)
		}
	}
	tm := func(i int, name string, v time.Time) {
		if err != nil {
			return
		}
		var j []byte
		if j, err = enc.times[i].get(v, appendJSONTime); err == nil {
			b = append(append(b, name...), j...)
		}
	}
	str(0, `{"table":`, e.Table)
	b = strconv.AppendUint(append(b, `,"seq":`...), e.Seq, 10)
	str(1, `,"key_column":`, e.KeyColumn)
	if err == nil {
		b, err = appendJSONString(append(b, `,"key_hash":`...), e.KeyHash)
	}
	tm(0, `,"deleted_at":`, e.DeletedAt)
	str(2, `,"actor":`, e.Actor)
	str(3, `,"reason":`, e.Reason)
	tm(1, `,"vacuumed_at":`, e.VacuumedAt)
	str(4, `,"vacuumed_by":`, e.VacuumedBy)
	b = strconv.AppendUint(append(b, `,"vacuum_seq":`...), e.VacuumSeq, 10)
	b = strconv.AppendInt(append(b, `,"rows_removed":`...), e.RowsRemoved, 10)
	return append(b, "}\n"...), err
}

// appendJSONString appends s as encoding/json encodes it. Strings of
// printable ASCII without a quote, backslash or HTML character (which
// encoding/json escapes) are copied; others are left to encoding/json.
func appendJSONString(b []byte, s string) ([]byte, error) {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, err := json.Marshal(s)
			return append(b, j...), err
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// appendJSONTime appends t as encoding/json encodes it (time.Time's
// MarshalJSON: RFC 3339 with nanoseconds). UTC times of years 0 to 9999
// are formatted here; others, which MarshalJSON may reject, are left to it.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	if t.Location() != time.UTC || t.Year() < 0 || t.Year() > 9999 {
		j, err := json.Marshal(t)
		return append(b, j...), err
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}
