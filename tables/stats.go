package tables

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// rowGroupStats converts the footer statistics of one row group, one Stats
// per planned column.
func rowGroupStats(rg *metadata.RowGroupMetaData, plans []fieldPlan) ([]Stats, error) {
	out := make([]Stats, len(plans))
	for i, p := range plans {
		out[i].NullCount = -1
		if p.nested || len(p.leaves) != 1 {
			continue
		}
		chunk, err := rg.ColumnChunk(p.leaves[0])
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", p.column.Name, err)
		}
		typed, err := chunk.Statistics()
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", p.column.Name, err)
		}
		if typed == nil {
			continue
		}
		if typed.HasNullCount() {
			out[i].NullCount = typed.NullCount()
		}
		if !typed.HasMinMax() {
			continue
		}
		minV, maxV, ok := canonicalMinMax(typed, p)
		if ok {
			out[i].HasMinMax, out[i].Min, out[i].Max = true, minV, maxV
		}
	}
	return out, nil
}

// canonicalMinMax converts typed statistics to the canonical values Stats
// documents, or reports false for types without comparable canonical values.
func canonicalMinMax(typed metadata.TypedStatistics, p fieldPlan) (minV, maxV any, ok bool) {
	switch p.statsKind {
	case statsInt:
		switch s := typed.(type) {
		case *metadata.Int32Statistics:
			if p.unsigned {
				return int64(uint32(s.Min())), int64(uint32(s.Max())), true
			}
			return int64(s.Min()), int64(s.Max()), true
		case *metadata.Int64Statistics:
			if p.unsigned {
				return nil, nil, false // numeric(20,0): no canonical min/max
			}
			return s.Min(), s.Max(), true
		}
	case statsFloat:
		var lo, hi float64
		switch s := typed.(type) {
		case *metadata.Float32Statistics:
			lo, hi = float64(s.Min()), float64(s.Max())
		case *metadata.Float64Statistics:
			lo, hi = s.Min(), s.Max()
		default:
			return nil, nil, false
		}
		// Some writers let NaN into statistics, which then bound nothing.
		if math.IsNaN(lo) || math.IsNaN(hi) {
			return nil, nil, false
		}
		return lo, hi, true
	case statsText:
		if s, ok := typed.(*metadata.ByteArrayStatistics); ok {
			return string(s.Min()), string(s.Max()), true
		}
	case statsBool:
		if s, ok := typed.(*metadata.BooleanStatistics); ok {
			return s.Min(), s.Max(), true
		}
	case statsDate:
		if s, ok := typed.(*metadata.Int32Statistics); ok {
			return dateTime(s.Min()), dateTime(s.Max()), true
		}
	case statsTimestamp:
		if s, ok := typed.(*metadata.Int64Statistics); ok {
			return unitTime(s.Min(), p.timeUnit), unitTime(s.Max(), p.timeUnit), true
		}
	}
	return nil, nil, false
}

// dateTime returns midnight UTC of the day days after 1970-01-01.
func dateTime(days int32) time.Time {
	return time.Unix(int64(days)*86400, 0).UTC()
}

// unitTime converts a Parquet timestamp in unit to a UTC time, truncated to
// microseconds like the scanned values.
func unitTime(v int64, unit schema.TimeUnitType) time.Time {
	switch unit {
	case schema.TimeUnitMillis:
		return time.UnixMilli(v).UTC()
	case schema.TimeUnitNanos:
		return time.UnixMicro(v / 1000).UTC()
	default:
		return time.UnixMicro(v).UTC()
	}
}
