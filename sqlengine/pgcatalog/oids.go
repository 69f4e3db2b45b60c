package pgcatalog

import (
	"hash/fnv"
	"slices"
)

// FirstUserOID is the first OID PostgreSQL gives to user objects
// (FirstNormalObjectId).
const FirstUserOID uint32 = 16384

// User table OIDs lie in [FirstUserOID, maxUserOID) on multiples of oidStride
// from FirstUserOID: a table's primary-key index and constraint take the
// OIDs that follow it. The range stays below 2^31 for clients that read OIDs
// as signed 32-bit integers.
const (
	oidStride  = 4
	maxUserOID = 1 << 31
	oidSlots   = (maxUserOID - FirstUserOID) / oidStride
)

// TableOID returns the preferred OID of the table name: FirstUserOID plus
// an FNV-1a hash of the name folded onto the slots of the user OID range. It
// depends on nothing but the name, so it is the same across runs; AssignOIDs
// settles the rare collisions.
func TableOID(name string) uint32 {
	return slotOID(hashName("table:", name))
}

// RoleOID returns the OID of a role other than the owner (see Input.Owner,
// whose OID is OwnerOID), derived from the name as TableOID does.
func RoleOID(name string) uint32 {
	return slotOID(hashName("role:", name))
}

func hashName(kind, name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(kind))
	h.Write([]byte(name))
	return h.Sum32()
}

func slotOID(h uint32) uint32 {
	return FirstUserOID + (h%oidSlots)*oidStride
}

// IndexOID returns the OID of the primary-key index of the table with OID tableOID.
func IndexOID(tableOID uint32) uint32 { return tableOID + 1 }

// ConstraintOID returns the OID of the primary-key constraint of the table
// with OID tableOID.
func ConstraintOID(tableOID uint32) uint32 { return tableOID + 2 }

// AssignOIDs returns an OID for each table name: TableOID(name) unless an
// earlier name took it, in which case the next free slot above it
// (wrapping around the range). Names are taken in byte order, so the result
// depends only on the set of names: a table keeps its OID across restarts
// unless a table whose name sorts before it arrives with a colliding hash,
// which with about 5*10^8 slots is rare.
func AssignOIDs(names []string) map[string]uint32 {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	out := make(map[string]uint32, len(sorted))
	used := make(map[uint32]bool, len(sorted))
	for _, n := range sorted {
		oid := TableOID(n)
		for used[oid] {
			oid += oidStride
			if oid >= maxUserOID {
				oid = FirstUserOID
			}
		}
		used[oid] = true
		out[n] = oid
	}
	return out
}
