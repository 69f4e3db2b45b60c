package tables

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/pqsql/pqsql/sqlengine"
)

// fieldPlan says how one top-level Parquet field becomes a table column.
type fieldPlan struct {
	column Column
	// field is the index of the field among the Parquet root's fields.
	field int
	// leaves are the Parquet leaf column indexes under the field.
	leaves []int
	// nested marks LIST, MAP, STRUCT and repeated fields, rendered as JSON text.
	nested bool
	// statsKind says how footer statistics of the (single) leaf become
	// canonical values; statsNone for nested and unlisted types.
	statsKind statsKind
	// unsigned marks integer leaves whose statistics use unsigned order.
	unsigned bool
	// timeUnit is the unit of TIMESTAMP leaves.
	timeUnit schema.TimeUnitType
}

// statsKind selects the conversion of footer statistics to canonical values.
type statsKind int

const (
	statsNone statsKind = iota
	statsInt
	statsFloat
	statsText
	statsBool
	statsDate
	statsTimestamp
)

// unsupportedTypeError reports a Parquet field whose type has no PostgreSQL mapping.
type unsupportedTypeError struct {
	field, reason string
}

func (e *unsupportedTypeError) Error() string {
	return fmt.Sprintf("column %q: unsupported type %s", e.field, e.reason)
}

// planFields maps every top-level field of sc to a column. Fields whose type
// has no mapping are returned as errors in skipped, in field order, and left
// out of plans.
func planFields(sc *schema.Schema) (plans []fieldPlan, skipped []*unsupportedTypeError) {
	root := sc.Root()
	leavesByField := make([][]int, root.NumFields())
	for leaf := range sc.NumColumns() {
		f := root.FieldIndexByField(sc.ColumnRoot(leaf))
		if f >= 0 {
			leavesByField[f] = append(leavesByField[f], leaf)
		}
	}
	for f := range root.NumFields() {
		node := root.Field(f)
		plan, err := planField(node)
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		plan.field = f
		plan.leaves = leavesByField[f]
		if len(plan.leaves) == 0 {
			skipped = append(skipped, &unsupportedTypeError{field: node.Name(), reason: "without leaf columns"})
			continue
		}
		plans = append(plans, plan)
	}
	return plans, skipped
}

// planField maps one top-level node.
func planField(node schema.Node) (fieldPlan, *unsupportedTypeError) {
	plan := fieldPlan{column: Column{Name: node.Name(), Nullable: node.RepetitionType() == parquet.Repetitions.Optional}}
	prim, ok := node.(*schema.PrimitiveNode)
	if !ok || node.RepetitionType() == parquet.Repetitions.Repeated {
		plan.nested = true
		plan.column.Type = Type{OID: sqlengine.JSONOID}
		return plan, nil
	}
	unsupported := func() (fieldPlan, *unsupportedTypeError) {
		return fieldPlan{}, &unsupportedTypeError{field: node.Name(), reason: fmt.Sprintf("%s %s", prim.PhysicalType(), prim.LogicalType())}
	}
	set := func(oid uint32, kind statsKind) (fieldPlan, *unsupportedTypeError) {
		plan.column.Type.OID = oid
		plan.statsKind = kind
		return plan, nil
	}
	logical := prim.LogicalType()
	if dec, ok := logical.(schema.DecimalLogicalType); ok {
		plan.column.Type = Type{OID: sqlengine.NumericOID, Precision: dec.Precision(), Scale: dec.Scale()}
		return plan, nil
	}
	switch prim.PhysicalType() {
	case parquet.Types.Boolean:
		return set(sqlengine.BoolOID, statsBool)
	case parquet.Types.Int32:
		switch lt := logical.(type) {
		case schema.NoLogicalType:
			return set(sqlengine.Int4OID, statsInt)
		case schema.IntLogicalType:
			plan.unsigned = !lt.IsSigned()
			switch {
			case lt.BitWidth() <= 8, lt.BitWidth() == 16 && lt.IsSigned():
				return set(sqlengine.Int2OID, statsInt)
			case lt.BitWidth() == 16, lt.BitWidth() == 32 && lt.IsSigned():
				return set(sqlengine.Int4OID, statsInt)
			case lt.BitWidth() == 32:
				return set(sqlengine.Int8OID, statsInt)
			}
		case schema.DateLogicalType:
			return set(sqlengine.DateOID, statsDate)
		}
	case parquet.Types.Int64:
		switch lt := logical.(type) {
		case schema.NoLogicalType:
			return set(sqlengine.Int8OID, statsInt)
		case schema.IntLogicalType:
			if lt.IsSigned() {
				return set(sqlengine.Int8OID, statsInt)
			}
			plan.column.Type = Type{OID: sqlengine.NumericOID, Precision: 20}
			return plan, nil
		case schema.TimestampLogicalType:
			plan.timeUnit = lt.TimeUnit()
			// Legacy TIMESTAMP_MILLIS/MICROS converted types are UTC-adjusted
			// per the Parquet format's backward-compatibility rules.
			if lt.IsAdjustedToUTC() || lt.IsFromConvertedType() {
				return set(sqlengine.TimestamptzOID, statsTimestamp)
			}
			return set(sqlengine.TimestampOID, statsTimestamp)
		}
	case parquet.Types.Int96:
		// INT96 statistics have no defined sort order.
		return set(sqlengine.TimestampOID, statsNone)
	case parquet.Types.Float:
		return set(sqlengine.Float4OID, statsFloat)
	case parquet.Types.Double:
		return set(sqlengine.Float8OID, statsFloat)
	case parquet.Types.ByteArray:
		switch logical.(type) {
		case schema.StringLogicalType, schema.EnumLogicalType:
			return set(sqlengine.TextOID, statsText)
		case schema.JSONLogicalType:
			return set(sqlengine.JSONOID, statsNone)
		case schema.NoLogicalType, schema.BSONLogicalType:
			return set(sqlengine.ByteaOID, statsNone)
		}
	case parquet.Types.FixedLenByteArray:
		switch logical.(type) {
		case schema.UUIDLogicalType:
			if prim.TypeLength() == 16 {
				return set(sqlengine.UUIDOID, statsNone)
			}
		case schema.Float16LogicalType:
			return set(sqlengine.Float4OID, statsNone)
		case schema.NoLogicalType:
			return set(sqlengine.ByteaOID, statsNone)
		}
	}
	return unsupported()
}

// arrowType is the Arrow type a Batch column of type t has (see Batch).
func arrowType(t Type) arrow.DataType {
	switch t.OID {
	case sqlengine.BoolOID:
		return arrow.FixedWidthTypes.Boolean
	case sqlengine.Int2OID:
		return arrow.PrimitiveTypes.Int16
	case sqlengine.Int4OID:
		return arrow.PrimitiveTypes.Int32
	case sqlengine.Int8OID:
		return arrow.PrimitiveTypes.Int64
	case sqlengine.Float4OID:
		return arrow.PrimitiveTypes.Float32
	case sqlengine.Float8OID:
		return arrow.PrimitiveTypes.Float64
	case sqlengine.NumericOID:
		if t.Precision <= 38 {
			return &arrow.Decimal128Type{Precision: t.Precision, Scale: t.Scale}
		}
		return &arrow.Decimal256Type{Precision: t.Precision, Scale: t.Scale}
	case sqlengine.DateOID:
		return arrow.FixedWidthTypes.Date32
	case sqlengine.TimestampOID:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case sqlengine.TimestamptzOID:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case sqlengine.ByteaOID:
		return arrow.BinaryTypes.Binary
	case sqlengine.UUIDOID:
		return &arrow.FixedSizeBinaryType{ByteWidth: 16}
	default: // text, json
		return arrow.BinaryTypes.String
	}
}
