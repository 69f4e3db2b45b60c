package sqlengine

// Canonical values.
//
// Rows and parameters carry Go values whose type is fixed by the column's or
// parameter's PostgreSQL type, so that the server can encode them in text or
// binary format without knowing the engine:
//
//	bool                      bool
//	int2, int4, int8          int16, int32, int64
//	float4, float8            float32, float64
//	numeric                   string, PostgreSQL's text form ("12.50", "NaN")
//	text, varchar, name, json string
//	bytea                     []byte
//	date                      time.Time, midnight UTC of that day
//	timestamp                 time.Time in UTC holding the wall-clock reading
//	timestamptz               time.Time (the instant; the server formats it in the session's TimeZone)
//	uuid                      [16]byte
//	oid                       uint32
//	anything else             string in PostgreSQL's text form
//
// SQL NULL is nil.

// Type OIDs of the built-in PostgreSQL types pqsql produces or accepts.
const (
	BoolOID        uint32 = 16
	ByteaOID       uint32 = 17
	NameOID        uint32 = 19
	Int8OID        uint32 = 20
	Int2OID        uint32 = 21
	Int4OID        uint32 = 23
	TextOID        uint32 = 25
	OIDOID         uint32 = 26
	JSONOID        uint32 = 114
	Float4OID      uint32 = 700
	Float8OID      uint32 = 701
	UnknownOID     uint32 = 705
	BPCharOID      uint32 = 1042
	VarcharOID     uint32 = 1043
	DateOID        uint32 = 1082
	TimeOID        uint32 = 1083
	TimestampOID   uint32 = 1114
	TimestamptzOID uint32 = 1184
	IntervalOID    uint32 = 1186
	NumericOID     uint32 = 1700
	UUIDOID        uint32 = 2950
	JSONBOID       uint32 = 3802
)
