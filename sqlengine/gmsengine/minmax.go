package gmsengine

import (
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// minMaxTarget is the common type of the arguments of a greatest or least
// call, decided when the call is built.
type minMaxTarget struct {
	// class is the result class, cOther when the arguments are not all
	// numbers or all dates and times; typ is its GMS type.
	class class
	typ   sql.Type
	// args are the argument classes.
	args []class
}

var (
	greatestSpec = &funcSpec{name: "pqsql_greatest", minArgs: 1, maxArgs: -1, typ: minMaxType, keepNulls: true,
		eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) { return evalMinMax(ctx, f, v, 1) }}
	leastSpec = &funcSpec{name: "pqsql_least", minArgs: 1, maxArgs: -1, typ: minMaxType, keepNulls: true,
		eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) { return evalMinMax(ctx, f, v, -1) }}
)

// minMaxFunctions are greatest and least with PostgreSQL's semantics: NULL
// arguments are ignored (the result is NULL only when all are), and the
// result has the arguments' common type (int4 for integer literals, numeric
// for least(1.5, 2), date for dates), where GMS widens to bigint, double and
// datetime.
func minMaxFunctions() []sqlFunction {
	return []sqlFunction{{spec: greatestSpec, init: initMinMax}, {spec: leastSpec, init: initMinMax}}
}

func initMinMax(ctx *sql.Context, args []sql.Expression) (any, error) {
	mt := &minMaxTarget{args: make([]class, len(args))}
	for i, a := range args {
		mt.args[i] = classify(ctx, a)
	}
	mt.class = commonClass(mt.args)
	switch t := mt.class.gmsType(); {
	case t != nil:
		mt.typ = t
	case mt.class == cText:
		mt.typ = textType
	default:
		// Booleans, uuids, byteas: GMS's type of the first typed argument.
		mt.typ = types.Null
		for _, a := range args {
			if t := a.Type(ctx); t != nil && t != types.Null {
				mt.typ = t
				break
			}
		}
	}
	return mt, nil
}

// commonClass is the class PostgreSQL resolves a list of values of the
// given classes to (as for CASE, UNION and greatest): numbers to the widest
// number, dates and times to the widest of date, timestamp, timestamptz,
// string literals to text or to the other arguments' class.
func commonClass(cs []class) class {
	res := cNull
	for _, c := range cs {
		switch {
		case c == cNull || c == res:
		case res == cNull:
			res = c
		case c == cText && res != cOther:
			// An unknown-type literal takes the others' type.
		case res == cText && (isNumClass(c) || isTimeClass(c) || c == cInterval):
			res = c
		case isNumClass(res) && isNumClass(c):
			res = promote(res, c)
		case isTimeClass(res) && isTimeClass(c):
			res = max(res, c)
		default:
			return cOther
		}
	}
	if res == cNull {
		// greatest(NULL, NULL) is text in PostgreSQL.
		return cText
	}
	return res
}

func minMaxType(ctx *sql.Context, args []sql.Expression) sql.Type {
	return textType // replaced by the minMaxTarget's type
}

// evalMinMax returns the greatest (dir 1) or least (dir -1) non-NULL
// argument, converted to the common type.
func evalMinMax(ctx *sql.Context, f *pgFunc, vals []any, dir int) (any, error) {
	mt := f.state.(*minMaxTarget)
	var best any
	for i, v := range vals {
		if v == nil {
			continue
		}
		x, err := mt.convert(ctx, v, mt.args[i])
		if err != nil {
			return nil, err
		}
		if best == nil {
			best = x
			continue
		}
		c, err := mt.typ.Compare(ctx, x, best)
		if err != nil {
			return nil, err
		}
		if c*dir > 0 {
			best = x
		}
	}
	return best, nil
}

// convert turns an argument value of class from into the common type.
func (mt *minMaxTarget) convert(ctx *sql.Context, v any, from class) (any, error) {
	switch mt.class {
	case cInt2, cInt4, cInt8:
		n, err := toInt64(v)
		if err != nil {
			return nil, err
		}
		switch mt.class {
		case cInt2:
			return int16(n), nil
		case cInt4:
			return int32(n), nil
		}
		return n, nil
	case cNumeric:
		return toDecimal(v)
	case cFloat4:
		x, err := toFloat64(v)
		return float32(x), err
	case cFloat8:
		return toFloat64(v)
	case cDate, cTimestamp, cTimestamptz:
		loc := time.UTC
		if mt.class == cTimestamptz {
			loc = sessionLocation(ctx)
		}
		t, err := toTime(v, loc)
		if err != nil {
			return nil, err
		}
		switch mt.class {
		case cDate:
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
		case cTimestamp:
			return wallClockUTC(t), nil
		}
		if from == cDate || from == cTimestamp {
			return zoned(t, from, loc).UTC(), nil
		}
		return t.UTC(), nil
	case cText:
		return textOf(v, time.UTC), nil
	}
	return v, nil
}
