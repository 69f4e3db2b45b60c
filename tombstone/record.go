package tombstone

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Framing: every record is
//
//	uint32 length (little endian) | uint32 CRC-32C of payload | payload
//
// and the payload starts with the format version and the record type.
const (
	frameHeaderLen = 8
	formatVersion  = 1
	// minPayload is version + type: a run of zero bytes (length 0, CRC 0, the
	// CRC of an empty payload) therefore never parses as a record.
	minPayload = 2
	// maxPayload bounds one record (one DELETE statement) so that its length
	// fits the uint32 length field.
	maxPayload = math.MaxUint32
)

// Record types. The numeric values are written to the log.
const (
	recFileHeader byte = 1 // first record of every file
	recBatch      byte = 2 // the tombstones of one DELETE statement
	recReserve    byte = 3 // a sequence number taken by ReserveSeq
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errMalformed marks a payload whose checksum is right but whose content
// cannot be decoded: never a torn write, always corruption or a newer format.
var errMalformed = errors.New("malformed record")

// entry is one tombstone as stored, without the batch-level fields.
type entry struct {
	keyColumn string
	key       Key
	deletedAt int64 // unix microseconds
	actor     string
	reason    string
}

// record is one decoded log record.
type record struct {
	typ byte
	// seq is, for a file header, the next sequence number when the file was
	// written; for a batch, the batch's sequence number; for a reservation,
	// the reserved number.
	seq     uint64
	table   string  // file header and batch
	entries []entry // batch
}

// appendFrame appends rec to dst as one framed record.
func appendFrame(dst []byte, rec *record) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeaderLen)...)
	dst = append(dst, formatVersion, rec.typ)
	dst = binary.AppendUvarint(dst, rec.seq)
	switch rec.typ {
	case recFileHeader:
		dst = appendString(dst, rec.table)
	case recBatch:
		dst = appendString(dst, rec.table)
		dst = binary.AppendUvarint(dst, uint64(len(rec.entries)))
		for i := range rec.entries {
			e := &rec.entries[i]
			dst = appendString(dst, e.keyColumn)
			dst = appendKey(dst, e.key)
			dst = binary.AppendVarint(dst, e.deletedAt)
			dst = appendString(dst, e.actor)
			dst = appendString(dst, e.reason)
		}
	case recReserve:
	default:
		return dst[:start], fmt.Errorf("encoding record: unknown type %d", rec.typ)
	}
	payload := dst[start+frameHeaderLen:]
	if uint64(len(payload)) > maxPayload {
		return dst[:start], fmt.Errorf("encoding record: %d bytes exceed the %d-byte record limit", len(payload), uint64(maxPayload))
	}
	putFrameHeader(dst[start:], payload)
	return dst, nil
}

// putFrameHeader writes payload's length and checksum to hdr.
func putFrameHeader(hdr, payload []byte) {
	binary.LittleEndian.PutUint32(hdr, uint32(len(payload)))
	binary.LittleEndian.PutUint32(hdr[4:], crc32.Checksum(payload, castagnoli))
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendKey(dst []byte, k Key) []byte {
	dst = append(dst, byte(k.kind))
	switch {
	case k.kind == KindBool:
		return append(dst, byte(k.num))
	case k.kind.usesNum():
		return binary.AppendVarint(dst, k.num)
	case k.kind == KindUUID:
		return append(dst, k.str...)
	default:
		return appendString(dst, k.str)
	}
}

// frameStatus classifies the bytes at one offset of a log file.
type frameStatus int

const (
	frameOK frameStatus = iota
	// frameBad: too short, length past the end of the file, or checksum
	// mismatch. Torn if nothing valid follows, corruption otherwise.
	frameBad
	// frameMalformed: checksum right, content undecodable.
	frameMalformed
)

// readFrame examines the frame at buf[off:]. On frameOK it returns the
// decoded record and the frame's end offset.
func readFrame(buf []byte, off int) (frameStatus, record, int, error) {
	payload, end, ok := checkFrame(buf, off, false)
	if !ok {
		return frameBad, record{}, 0, nil
	}
	rec, err := decodePayload(payload)
	if err != nil {
		return frameMalformed, record{}, 0, err
	}
	return frameOK, rec, end, nil
}

// checkFrame reports whether a frame with a matching checksum starts at
// buf[off:], returning its payload and end. With known, it also requires the
// payload to start with this format's version and a known type: a cheap
// filter to run before the checksum when searching for frames.
func checkFrame(buf []byte, off int, known bool) ([]byte, int, bool) {
	if len(buf)-off < frameHeaderLen+minPayload {
		return nil, 0, false
	}
	n := uint64(binary.LittleEndian.Uint32(buf[off:]))
	if n < minPayload || n > uint64(len(buf)-off-frameHeaderLen) {
		return nil, 0, false
	}
	start := off + frameHeaderLen
	payload := buf[start : start+int(n)]
	if known && (payload[0] != formatVersion || payload[1] < recFileHeader || payload[1] > recReserve) {
		return nil, 0, false
	}
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(buf[off+4:]) {
		return nil, 0, false
	}
	return payload, start + int(n), true
}

// validFrameAfter reports whether any valid frame starts after offset off.
// Only valid frames count as "good data": bytes of a torn write never carry
// a matching checksum. The likely spot, right after the bad frame's declared
// length, is tried first.
func validFrameAfter(buf []byte, off int) bool {
	if len(buf)-off >= frameHeaderLen {
		next := uint64(off) + frameHeaderLen + uint64(binary.LittleEndian.Uint32(buf[off:]))
		if next < uint64(len(buf)) {
			if _, _, ok := checkFrame(buf, int(next), false); ok {
				return true
			}
		}
	}
	for p := off + 1; p+frameHeaderLen+minPayload <= len(buf); p++ {
		if _, _, ok := checkFrame(buf, p, true); ok {
			return true
		}
	}
	return false
}

// decoder reads a payload, remembering the first error.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or invalid %s", errMalformed, what)
	}
}

func (d *decoder) byte(what string) byte {
	if d.err != nil || len(d.buf) < 1 {
		d.fail(what)
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) bytes(n uint64, what string) []byte {
	if d.err != nil || n > uint64(len(d.buf)) {
		d.fail(what)
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) string(what string) string {
	return string(d.bytes(d.uvarint(what), what))
}

// stringLike returns prev when the next string equals it, so that the column
// name, actor and reason repeated in every entry of a batch share one copy.
func (d *decoder) stringLike(prev, what string) string {
	b := d.bytes(d.uvarint(what), what)
	if string(b) == prev {
		return prev
	}
	return string(b)
}

func (d *decoder) key() Key {
	kind := KeyKind(d.byte("key kind"))
	var k Key
	switch {
	case kind == KindBool:
		b := d.byte("bool key")
		if b > 1 {
			d.fail("bool key")
		}
		k = BoolKey(b == 1)
	case kind.usesNum():
		k = Key{kind: kind, num: d.varint("key")}
	case kind == KindUUID:
		k = Key{kind: kind, str: string(d.bytes(16, "uuid key"))}
	case kind == KindText || kind == KindBytes:
		k = Key{kind: kind, str: d.string("key")}
	default:
		d.fail(fmt.Sprintf("key kind %d", kind))
	}
	return k
}

func decodePayload(payload []byte) (record, error) {
	d := decoder{buf: payload}
	if v := d.byte("version"); v != formatVersion {
		return record{}, fmt.Errorf("%w: unsupported format version %d", errMalformed, v)
	}
	rec := record{typ: d.byte("type")}
	rec.seq = d.uvarint("sequence number")
	switch rec.typ {
	case recFileHeader:
		rec.table = d.string("table name")
	case recBatch:
		rec.table = d.string("table name")
		n := d.uvarint("entry count")
		// Every entry takes at least 6 bytes; a larger count is garbage.
		if d.err == nil && n > uint64(len(d.buf))/6 {
			d.fail("entry count")
		}
		if d.err == nil {
			rec.entries = make([]entry, 0, n)
		}
		var prev entry
		for i := uint64(0); i < n && d.err == nil; i++ {
			e := entry{
				keyColumn: d.stringLike(prev.keyColumn, "key column"),
				key:       d.key(),
				deletedAt: d.varint("deleted_at"),
				actor:     d.stringLike(prev.actor, "actor"),
				reason:    d.stringLike(prev.reason, "reason"),
			}
			rec.entries = append(rec.entries, e)
			prev = e
		}
		if d.err == nil && n == 0 {
			d.fail("empty batch")
		}
	case recReserve:
	default:
		d.fail(fmt.Sprintf("record type %d", rec.typ))
	}
	if d.err == nil && len(d.buf) != 0 {
		d.fail("record: trailing bytes")
	}
	if d.err != nil {
		return record{}, d.err
	}
	if rec.typ != recFileHeader && rec.seq == 0 {
		return record{}, fmt.Errorf("%w: sequence number 0", errMalformed)
	}
	return rec, nil
}
