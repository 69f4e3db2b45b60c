package gmsengine

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// sleepSpec is pg_sleep(seconds): it waits, and ends early with the
// statement's cancellation (cancel request, statement_timeout). Its result,
// PostgreSQL's void, is the empty string.
var sleepSpec = &funcSpec{name: "pqsql_pg_sleep", minArgs: 1, maxArgs: 1, typ: textResult, nonDeterministic: true,
	eval: func(ctx *sql.Context, _ *pgFunc, vals []any) (any, error) {
		secs, err := sleepSeconds(vals[0])
		if err != nil {
			return nil, err
		}
		if secs > 0 {
			d := time.Duration(math.Min(secs, float64(math.MaxInt64/int64(time.Second))) * float64(time.Second))
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return "", nil
	}}

// sleepSeconds converts pg_sleep's argument to seconds.
func sleepSeconds(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64, int, uint:
		return strconv.ParseFloat(fmt.Sprint(x), 64)
	case string:
		return strconv.ParseFloat(x, 64)
	case []byte:
		return strconv.ParseFloat(string(x), 64)
	case fmt.Stringer: // decimal.Decimal
		return strconv.ParseFloat(x.String(), 64)
	}
	return 0, fmt.Errorf("pg_sleep: unsupported argument type %T", v)
}
