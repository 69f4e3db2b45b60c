package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pqsql/pqsql/sqlengine"
)

// copyBinarySignature starts a binary COPY stream: the signature, the flags
// field and the header extension length.
var copyBinarySignature = [...]byte{'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0}

// copyOut streams rows with the COPY OUT sub-protocol: CopyOutResponse, one
// CopyData per row (and one for the header line), CopyDone. The caller sends
// CommandComplete. Rows are formatted exactly as PostgreSQL 15's COPY TO does.
func (c *conn) copyOut(ctx context.Context, rows sqlengine.CopyOutRows) error {
	f := rows.CopyFormat()
	cols := rows.Columns()
	binaryFormat := f.Format == "binary"
	resp := &pgproto3.CopyOutResponse{ColumnFormatCodes: make([]uint16, len(cols))}
	if binaryFormat {
		resp.OverallFormat = 1
		for i := range resp.ColumnFormatCodes {
			resp.ColumnFormatCodes[i] = 1
		}
	}
	c.be.Send(resp)

	var line, val []byte
	if binaryFormat {
		// PostgreSQL sends the header together with the first row.
		line = append(line, copyBinarySignature[:]...)
	} else if f.Header {
		for i, col := range cols {
			if i > 0 {
				line = append(line, f.Delimiter)
			}
			if f.Format == "csv" {
				line = appendCSV(line, col.Name, f, false, len(cols) == 1)
			} else {
				line = appendCopyText(line, col.Name, f.Delimiter)
			}
		}
		line = append(line, '\n')
		c.sendCopyData(line)
		line = line[:0]
	}
	for {
		vals, err := rows.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if len(vals) != len(cols) {
			return fmt.Errorf("copy row has %d values for %d columns", len(vals), len(cols))
		}
		if binaryFormat {
			line = binary.BigEndian.AppendUint16(line, uint16(len(vals)))
		}
		for i, v := range vals {
			if binaryFormat {
				if v == nil {
					line = binary.BigEndian.AppendUint32(line, 0xffffffff)
					continue
				}
				at := len(line)
				line = append(line, 0, 0, 0, 0)
				line, err = appendBinary(line, cols[i].TypeOID, v, c.types())
				if err != nil {
					return fmt.Errorf("column %q: %w", cols[i].Name, err)
				}
				binary.BigEndian.PutUint32(line[at:], uint32(len(line)-at-4))
				continue
			}
			if i > 0 {
				line = append(line, f.Delimiter)
			}
			if v == nil {
				line = append(line, f.Null...)
				continue
			}
			val, err = appendText(val[:0], cols[i].TypeOID, v, c.loc)
			if err != nil {
				return fmt.Errorf("column %q: %w", cols[i].Name, err)
			}
			if f.Format == "csv" {
				force := i < len(f.ForceQuote) && f.ForceQuote[i]
				line = appendCSV(line, string(val), f, force, len(cols) == 1)
			} else {
				line = appendCopyText(line, string(val), f.Delimiter)
			}
		}
		if !binaryFormat {
			line = append(line, '\n')
		}
		c.sendCopyData(line)
		line = line[:0]
		if c.unflushed >= flushThreshold {
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
	if binaryFormat {
		line = binary.BigEndian.AppendUint16(line, 0xffff)
		c.sendCopyData(line)
	}
	c.be.Send(&pgproto3.CopyDone{})
	return nil
}

// sendCopyData queues one CopyData message; Send copies data.
func (c *conn) sendCopyData(data []byte) {
	c.be.Send(&pgproto3.CopyData{Data: data})
	c.unflushed += len(data) + 5
}

// appendCopyText appends s escaped as COPY's text format does
// (CopyAttributeOutText): backslash, the delimiter and the control
// characters \b \f \n \r \t \v are backslash-escaped.
func appendCopyText(dst []byte, s string, delim byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 {
			var esc byte
			switch c {
			case '\b':
				esc = 'b'
			case '\f':
				esc = 'f'
			case '\n':
				esc = 'n'
			case '\r':
				esc = 'r'
			case '\t':
				esc = 't'
			case '\v':
				esc = 'v'
			default:
				if c == delim {
					esc = c
				}
			}
			if esc != 0 {
				dst = append(dst, '\\', esc)
				continue
			}
			dst = append(dst, c)
			continue
		}
		if c == '\\' || c == delim {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return dst
}

// appendCSV appends s as COPY's CSV format does (CopyAttributeOutCSV): the
// value is quoted when forced, when it equals the NULL string, when it
// contains the delimiter, the quote or a line break, or when it is a lone
// `\.` in a single-column row; inside quotes, quote and escape bytes are
// preceded by the escape byte.
func appendCSV(dst []byte, s string, f sqlengine.CopyFormat, quote, singleColumn bool) []byte {
	if !quote && s == f.Null {
		quote = true
	}
	if !quote {
		if singleColumn && s == `\.` {
			quote = true
		} else {
			for i := 0; i < len(s); i++ {
				if c := s[i]; c == f.Delimiter || c == f.Quote || c == '\n' || c == '\r' {
					quote = true
					break
				}
			}
		}
	}
	if !quote {
		return append(dst, s...)
	}
	dst = append(dst, f.Quote)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == f.Quote || c == f.Escape {
			dst = append(dst, f.Escape)
		}
		dst = append(dst, s[i])
	}
	return append(dst, f.Quote)
}
