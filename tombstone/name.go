package tombstone

import (
	"fmt"
	"strings"
)

const (
	// fileExt is the extension of a table's log file.
	fileExt = ".tlog"
	// tempExt marks a log file being written; one left by a crash is removed
	// at Open.
	tempExt = ".tmp"
	// maxFileNameLen keeps the escaped name, extension and temp suffix within
	// the 255-byte name limit of common file systems.
	maxFileNameLen = 255 - len(fileExt) - len(tempExt)
)

// FileName returns the name of the log file of table within the log
// directory: the table name with every byte other than a-z, 0-9, '_' and
// '-' written as %XX, plus ".tlog". Upper-case letters are escaped too, so
// that tables "T" and "t" get distinct files on case-insensitive file
// systems; the table name is also stored inside the file and checked at Open.
func FileName(table string) (string, error) {
	if table == "" {
		return "", fmt.Errorf("tombstone: empty table name")
	}
	var b strings.Builder
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(table); i++ {
		c := table[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
	if b.Len() > maxFileNameLen {
		return "", fmt.Errorf("tombstone: table name of %d bytes is too long for a log file name", len(table))
	}
	return b.String() + fileExt, nil
}
