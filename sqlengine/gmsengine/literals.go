package gmsengine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/pqsql/pqsql/sqlengine"
)

// typedLiteralsRule is the id of the analyzer rule typedLiterals. It is
// outside the range of GMS's own rule ids.
const typedLiteralsRule analyzer.RuleId = 10_001

// init registers typedLiterals in analyzer.AlwaysBeforeDefault rather than
// with the analyzer builder: GMS plans a "simple" SELECT (a filter over one
// table) with a short fixed list of rules unless that list is non-empty.
// It is the hook GMS provides for integrators' rules, read when an analyzer
// is built; registering it in init keeps the write free of races. It also
// makes the post-analysis rules (floatSemantics) apply to those statements.
func init() {
	analyzer.AlwaysBeforeDefault = append(analyzer.AlwaysBeforeDefault, analyzer.Rule{Id: typedLiteralsRule, Apply: typedLiterals})
}

// typedLiterals is an analyzer rule giving string literals compared with a
// date, timestamp, timestamptz, bytea or uuid value PostgreSQL's meaning.
//
// PostgreSQL types a quoted literal as unknown and, in a comparison, reads
// it with the input function of the other operand's type, at parse time:
// '2024-02-29 13:34:56+01' compared with a timestamptz is that instant,
// '\x0102' compared with a bytea is two bytes, and a literal that is no
// valid input fails the statement (22007, 22008, 22P02, 22023) whether or
// not a row is compared. GMS instead compares the string with MySQL's
// conversions, which ignore the offset and take bytea text literally. The
// rule replaces each such literal by its value, read as PostgreSQL reads
// it in the session's TimeZone, as a literal of the other operand's type.
//
// It runs before GMS's own rules so that the filters GMS pushes into
// table scans compare typed constants, which prune row groups.
func typedLiterals(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(ctx, n, func(ctx *sql.Context, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch e.(type) {
		case *expression.Equals, *expression.NullSafeEquals, *expression.LessThan, *expression.LessThanOrEqual,
			*expression.GreaterThan, *expression.GreaterThanOrEqual:
			ch := e.Children()
			l, r := ch[0], ch[1]
			nl, err := coerceLiteral(ctx, l, r)
			if err != nil {
				return nil, transform.SameTree, err
			}
			nr, err := coerceLiteral(ctx, r, l)
			if err != nil {
				return nil, transform.SameTree, err
			}
			if nl == l && nr == r {
				return e, transform.SameTree, nil
			}
			ne, err := e.WithChildren(ctx, nl, nr)
			return ne, transform.NewTree, err
		case *expression.Between:
			ch := e.Children()
			changed := false
			for i := 1; i < len(ch); i++ {
				c, err := coerceLiteral(ctx, ch[i], ch[0])
				if err != nil {
					return nil, transform.SameTree, err
				}
				if c != ch[i] {
					if !changed {
						ch = append([]sql.Expression(nil), ch...)
						changed = true
					}
					ch[i] = c
				}
			}
			if !changed {
				return e, transform.SameTree, nil
			}
			ne, err := e.WithChildren(ctx, ch...)
			return ne, transform.NewTree, err
		case *expression.InTuple, *expression.HashInTuple:
			ch := e.Children()
			tuple, ok := ch[1].(expression.Tuple)
			if !ok {
				break
			}
			var out expression.Tuple
			for i, x := range tuple {
				c, err := coerceLiteral(ctx, x, ch[0])
				if err != nil {
					return nil, transform.SameTree, err
				}
				if c != x && out == nil {
					out = append(expression.Tuple(nil), tuple...)
				}
				if out != nil {
					out[i] = c
				}
			}
			if out == nil {
				break
			}
			if _, hashed := e.(*expression.HashInTuple); hashed {
				ne, err := expression.NewHashInTuple(ctx, ch[0], out)
				return ne, transform.NewTree, err
			}
			return expression.NewInTuple(ch[0], out), transform.NewTree, nil
		}
		return e, transform.SameTree, nil
	})
}

// coerceLiteral returns lit read as a value of other's type when lit is a
// string literal (PostgreSQL's unknown), or pqsql_unknown of one, and other
// is a date, timestamp, timestamptz, bytea or uuid expression that is
// neither; a pqsql_unknown compared with anything else becomes its literal.
// Any other lit is returned unchanged.
func coerceLiteral(ctx *sql.Context, lit, other sql.Expression) (sql.Expression, error) {
	l, s, ok := unknownLiteral(lit)
	if !ok {
		return lit, nil
	}
	if _, _, isLit := unknownLiteral(other); isLit {
		return l, nil
	}
	if _, isLit := other.(*expression.Literal); isLit {
		return l, nil
	}
	oid, gms := literalTarget(other.Type(ctx))
	if oid == 0 {
		return l, nil
	}
	v, err := castValue(s, &castTarget{oid: oid, gms: gms, source: textType}, sessionLocation(ctx))
	if err != nil {
		return nil, err
	}
	return expression.NewLiteral(v, gms), nil
}

// unknownLiteral returns the string literal e is, or that e (pqsql_unknown)
// marks, and its text.
func unknownLiteral(e sql.Expression) (*expression.Literal, string, bool) {
	if f, ok := e.(*pgFunc); ok && f.spec == unknownSpec {
		e = f.args[0]
	}
	l, ok := e.(*expression.Literal)
	if !ok {
		return nil, "", false
	}
	s, ok := l.Value().(string)
	return l, s, ok
}

// unknownSpec is pqsql_unknown(text), the marker pgtranslate puts around a
// string constant holding a backslash that is compared with another value,
// which keeps GMS from converting it to bytes while planning; typedLiterals
// replaces every marker. Evaluated, it is its argument.
var unknownSpec = &funcSpec{
	name: "pqsql_unknown", minArgs: 1, maxArgs: 1,
	typ:  textResult,
	eval: func(_ *sql.Context, _ *pgFunc, vals []any) (any, error) { return vals[0], nil },
}

// literalTarget returns the PostgreSQL type whose input function reads a
// literal compared with a value of GMS type t, and the GMS type of the
// result; oid is 0 when GMS's own comparison of a string already agrees
// with PostgreSQL's (text, numbers) or the type is not one pqsql maps.
func literalTarget(t sql.Type) (oid uint32, gms sql.Type) {
	if t == nil {
		return 0, nil
	}
	switch {
	case t.Type() == sqltypes.Timestamp:
		return sqlengine.TimestamptzOID, timestamptzType
	case t.Type() == sqltypes.Datetime:
		return sqlengine.TimestampOID, timestampType
	case t.Type() == sqltypes.Date:
		return sqlengine.DateOID, types.Date
	case t.Type() == sqltypes.Blob && types.IsBinaryType(t):
		return sqlengine.ByteaOID, types.LongBlob
	case isUUIDText(t):
		return sqlengine.UUIDOID, uuidType
	}
	return 0, nil
}
