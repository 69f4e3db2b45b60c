// Package tombstone owns the durable, per-table log of deleted key values
// and the in-memory index that hides deleted rows from reads.
//
// A DELETE never rewrites Parquet. It appends one batch of tombstones (one
// per matched key value) to its table's Log with Append, which fsyncs before
// returning, so the DELETE's command tag is sent only for durable deletes.
// Readers probe the index once per row with one hash lookup (Snapshot.Hidden).
// VACUUM rewrites the table's files without the deleted rows and then calls
// DropApplied to forget exactly the tombstones it applied.
//
// # Reads
//
// The index keeps, per key kind, a Go map from key value to the highest
// sequence number that deleted it, under a sync.RWMutex; an Append publishes
// its whole batch in one critical section, after its fsync. Scans take a
// Snapshot (an atomic load) and probe it per row with Hidden, or per batch of
// rows with HiddenMany, which takes the lock once. A Snapshot sees exactly
// the DELETEs committed when it was taken, even if VACUUM drops them later.
// BenchmarkLookup measures probes against 1e3, 1e5 and 1e6 tombstones.
//
// # Sequence numbers
//
// Each table has one counter, persisted in its log. Every DELETE statement
// (Append) and every registration of newly seen data files (ReserveSeq)
// takes the next number. A tombstone with sequence number s hides a row of a
// data file registered at f iff f < s: a file that appears after a DELETE
// keeps its rows even if their key was deleted before. The index therefore
// keeps, per key, the highest s (plus the older ones, for snapshots taken
// between two DELETEs of one key). The counter never goes backwards: it is
// max(file header's counter, last record's number + 1), and DropApplied
// writes the current counter into the new file's header.
//
// # File format
//
// One file per table, DIR/<escaped table name>.tlog (see FileName). The file
// is a sequence of records, each framed as
//
//	uint32 payload length | uint32 CRC-32C (Castagnoli) of payload | payload
//
// with little-endian integers. Every payload starts with a format version
// byte (1) and a type byte. uvarint and varint are encoding/binary's; a
// string is a uvarint length followed by that many bytes.
//
//	file header (type 1): uvarint next sequence number, string table
//	batch       (type 2): uvarint seq, string table, uvarint count,
//	                      count × (string key column, key, varint deleted_at
//	                      in unix µs, string actor, string reason)
//	reservation (type 3): uvarint seq
//
// A key is a kind byte (see KeyKind) followed by: for int, date, timestamp
// and timestamptz a varint; for bool one byte 0 or 1; for uuid 16 bytes; for
// text and bytes a string. The first record is always a file header; the
// file is created, and rewritten by DropApplied, through a temp file, fsync,
// rename and directory fsync, so it never exists without one. Sequence
// numbers strictly increase through the file.
//
// All tombstones of one DELETE statement form a single batch record, so its
// one checksum makes the statement atomic: a batch torn by a crash fails its
// checksum and is discarded whole, and no commit marker is needed.
//
// # Recovery
//
// Open reads every record. A bad record (short, length past the end, or
// checksum mismatch) with no valid record anywhere after it is the torn
// tail of an interrupted, unacknowledged append: the file is truncated to
// the last good record and fsynced, with a warning logged. A bad record
// followed by a valid one, or a record whose checksum matches but whose
// content does not decode, is corruption: Open fails with ErrCorrupt and the
// table must not be served. A damaged last record of an acknowledged append
// is indistinguishable from a torn one and is dropped (as in etcd and pebble).
//
// # Failures
//
// A failed write or fsync cuts the file back to its previous size when it
// can and fails the Log (ErrFailed): after a failed fsync the page cache may
// no longer match the disk, so retrying is unsafe; reopening runs recovery.
// An open Log holds an exclusive flock on its file, so a second Open of the
// same table, in this process or another, fails instead of interleaving
// appends.
//
// # Erasure
//
// Tombstones carry the raw deleted key until VACUUM has applied them; the
// file rewritten by DropApplied no longer contains them, though the
// replaced file's blocks may linger on disk. Key.String prints the value:
// keys must not be logged.
package tombstone
