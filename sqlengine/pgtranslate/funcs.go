package pgtranslate

import (
	"strconv"
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
)

// pqsqlPrefix starts the names of the functions the engine registers for
// PostgreSQL behaviour GMS lacks.
const pqsqlPrefix = "pqsql_"

// PqsqlFunctions returns the signatures of every pqsql_* function a translated
// statement may call, which the engine must register. Arguments are those of
// the PostgreSQL function of the same name unless noted.
func PqsqlFunctions() []string {
	return []string{
		"pqsql_cast(value, typename text[, typmod int...]): PostgreSQL cast; typename is canonical (int4, numeric, varchar, ...); numeric(p,s) passes p, s; varchar(n)/bpchar(n) pass n; timestamp(p)/timestamptz(p)/time(p) pass p",
		"pqsql_unknown(text): a string constant holding a backslash that is compared with another value; the engine reads it with the other operand's input function (bytea: '\\x0102')",
		"pqsql_div(a, b): a / b with PostgreSQL semantics (integer division for integers, 22012 on zero)",
		"pqsql_add(a, b), pqsql_sub(a, b), pqsql_mul(a, b), pqsql_mod(a, b), pqsql_neg(a), pqsql_abs(a): +, -, *, % (and mod), unary - and abs with PostgreSQL's result types (int4 + int4 is int4, date + int4 a date, timestamp - timestamp an interval) and overflow errors",
		"pqsql_generate_series(start, stop[, step]): a TABLE function (sql.TableFunction) of one column; arguments may be bind variables",
		"pqsql_extract(field text, source): EXTRACT(field FROM source), numeric result",
		"pqsql_date_part(field text, source)",
		"pqsql_date_trunc(field text, source[, zone text])",
		"pqsql_timezone(zone, source): source AT TIME ZONE zone",
		"pqsql_to_char(value, format text)",
		"pqsql_to_timestamp(text, format text) | pqsql_to_timestamp(epoch float8)",
		"pqsql_to_date(text, format text)",
		"pqsql_age(timestamp[, timestamp])",
		"pqsql_make_date(year int, month int, day int)",
		"pqsql_current_time(): CURRENT_TIME (timetz)",
		"pqsql_split_part(text, delimiter text, n int)",
		"pqsql_lpad(text, n int[, fill text]), pqsql_rpad(text, n int[, fill text]), pqsql_left(text, n int), pqsql_right(text, n int), pqsql_chr(int), pqsql_starts_with(text, prefix text)",
		"pqsql_sqrt(float8 or numeric), pqsql_cbrt(float8), pqsql_round(x[, places int]): round(float8) rounds half to even, round(numeric) half away from zero",
		"pqsql_concat_ws(sep, x, ...): concat_ws, and concat(...) as pqsql_concat_ws('', ...), writing values in PostgreSQL's text form",
		"pqsql_greatest(x, ...), pqsql_least(x, ...): GREATEST and LEAST, skipping NULL arguments",
		"pqsql_substring(s, start[, count]): also substr and SUBSTRING(s FROM start FOR count)",
		"pqsql_ceil(x), pqsql_floor(x), pqsql_sign(x): numeric for numeric, float8 otherwise (also ceiling)",
		"pqsql_initcap(text)",
		"pqsql_regexp_replace(source, pattern, replacement[, flags])",
		"pqsql_btrim(text, characters text), pqsql_ltrim(text, characters text), pqsql_rtrim(text, characters text): only when characters is not a single constant character",
		"pqsql_quote_ident(text)",
		"pqsql_version()",
		"pqsql_current_schema()",
		"pqsql_current_schemas(include_implicit bool)",
		"pqsql_current_database(): also CURRENT_CATALOG",
		"pqsql_current_user(): also CURRENT_USER, CURRENT_ROLE, USER",
		"pqsql_session_user(): also SESSION_USER",
		"pqsql_current_setting(name text[, missing_ok bool])",
		"pqsql_set_config(name text, value text, is_local bool)",
		"pqsql_pg_backend_pid()",
		"pqsql_pg_encoding_to_char(encoding int)",
		"pqsql_format_type(type oid, typmod int)",
		"pqsql_pg_get_userbyid(role oid)",
		"pqsql_pg_table_is_visible(oid), pqsql_pg_type_is_visible(oid), pqsql_pg_function_is_visible(oid)",
		"pqsql_obj_description(oid[, catalog text]), pqsql_col_description(oid, column int), pqsql_shobj_description(oid, catalog text)",
		"pqsql_pg_get_expr(expr text, relation oid[, pretty bool])",
		"pqsql_pg_get_indexdef(index oid[, column int, pretty bool]), pqsql_pg_get_constraintdef(oid[, pretty bool]), pqsql_pg_get_viewdef(oid[, pretty bool])",
		"pqsql_pg_get_function_arguments(oid), pqsql_pg_get_function_result(oid)",
		"pqsql_pg_get_statisticsobjdef_columns(oid), pqsql_pg_relation_is_publishable(oid)",
		"pqsql_pg_get_serial_sequence(table text, column text)",
		"pqsql_pg_size_pretty(bigint), pqsql_pg_table_size(oid), pqsql_pg_total_relation_size(oid), pqsql_pg_relation_size(oid)",
		"pqsql_pg_is_in_recovery(), pqsql_pg_postmaster_start_time(), pqsql_txid_current()",
		"pqsql_has_<object>_privilege(...): every has_*_privilege, same arguments",
		"pqsql_pg_has_role(...)",
		"pqsql_pg_sleep(seconds float8): sleeps, ending early with an error when the statement is cancelled",
		"pqsql_unnest(array): a TABLE function (sql.TableFunction) of one column, the elements of an array in text form (see arrays.go)",
		"pqsql_array(elements...): ARRAY[...] as text '{a,b}'; pqsql_array_quote(x): x as an array element; pqsql_array_wrap(list): '{' || coalesce(list, '') || '}'",
		"pqsql_array_any(x, array): x = ANY (array); pqsql_array_subscript(array, i): array[i]; pqsql_record_field(record text, 'x'|'n')",
		"pqsql_array_to_string(array, sep[, null]), pqsql_array_upper(array, dim), pqsql_array_lower(array, dim), pqsql_array_length(array, dim), pqsql_cardinality(array)",
		"pqsql_array_single(array): unnest of an array of at most one element; pqsql_pg_expandarray(array): information_schema._pg_expandarray of such an array, as text '(x,1)'",
		"pqsql_json_build_object(key, value, ...), pqsql_pg_tablespace_location(oid), pqsql_pg_<object>_is_visible(oid)",
		"pqsql_distinct_key(x): x, or for an interval a text key equal for equal intervals ('1 day' and '24 hours'), for count(DISTINCT x)",
		"pqsql_json_get(json, key text | index int), pqsql_json_get_text(json, key | index): json -> and ->>; pqsql_json_path(json, path text[]), pqsql_json_path_text(json, path text[]): #> and #>>",
		"pqsql_reg_out(oid, typename text): a regclass, regtype or regnamespace result column rendered by name",
	}
}

// pqsqlCall reports whether the PostgreSQL function name becomes a call of
// pqsql_<name> with the same arguments.
func pqsqlCall(name string) bool {
	switch name {
	case "version", "current_schema", "current_schemas", "current_database", "current_setting",
		"set_config", "pg_backend_pid", "date_trunc", "date_part", "extract", "timezone", "to_char",
		"to_timestamp", "to_date", "age", "make_date", "split_part", "initcap", "regexp_replace",
		"quote_ident", "format_type", "pg_get_userbyid", "pg_table_is_visible", "pg_type_is_visible",
		"pg_function_is_visible", "obj_description", "col_description", "shobj_description",
		"pg_get_expr", "pg_get_indexdef", "pg_get_constraintdef", "pg_get_viewdef",
		"pg_get_function_arguments", "pg_get_function_result", "pg_get_statisticsobjdef_columns",
		"pg_relation_is_publishable", "pg_get_serial_sequence", "pg_size_pretty", "pg_table_size",
		"pg_total_relation_size", "pg_relation_size", "pg_is_in_recovery", "pg_postmaster_start_time",
		"txid_current", "pg_encoding_to_char", "pg_has_role", "pg_sleep", "lpad", "rpad", "left", "right",
		"chr", "starts_with", "sqrt", "cbrt", "round", "ceil", "floor", "sign":
		return true
	}
	return strings.HasPrefix(name, "has_") && strings.HasSuffix(name, "_privilege")
}

// funcName returns a call's function name without a pg_catalog qualifier.
func funcName(fc *pg_query.FuncCall) string {
	if len(fc.Funcname) == 0 {
		return ""
	}
	return fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval()
}

// call builds a call of a GMS function on converted arguments.
func (t *translator) call(name string, args []*pg_query.Node) (sqlparser.Expr, error) {
	exprs, err := t.exprTuple(args)
	if err != nil {
		return nil, err
	}
	return funcExpr(name, exprs...), nil
}

// funcCall converts a function call, aggregate or window function.
func (t *translator) funcCall(fc *pg_query.FuncCall) (sqlparser.Expr, error) {
	name := funcName(fc)
	if e, ok, err := t.arrayFuncCall(fc); ok {
		return e, err
	}
	if len(fc.Funcname) > 1 {
		schema := fc.Funcname[len(fc.Funcname)-2].GetString_().GetSval()
		if len(fc.Funcname) > 2 {
			return nil, t.unsupported(fc.Location, "cross-database references are not implemented")
		}
		if schema != "pg_catalog" && schema != "public" {
			if schema == "information_schema" {
				return nil, t.unsupported(fc.Location, "function information_schema.%s is not supported", name)
			}
			return nil, t.errorAt(sqlengine.CodeInvalidSchemaName, fc.Location, "schema %q does not exist", schema)
		}
	}
	if fc.AggWithinGroup {
		return nil, t.unsupported(fc.Location, "WITHIN GROUP is not supported")
	}
	if fc.FuncVariadic {
		return nil, t.unsupported(fc.Location, "VARIADIC is not supported")
	}
	if len(fc.AggOrder) > 0 && name != "string_agg" {
		switch name {
		case "count", "min", "max", "bool_and", "bool_or", "every", "avg", "sum":
			// Order does not change these results.
		default:
			return nil, t.unsupported(fc.Location, "ORDER BY in a call of %s is not supported", name)
		}
	}
	args := fc.Args
	var filter sqlparser.Expr
	if fc.AggFilter != nil {
		cond, err := t.expr(fc.AggFilter)
		if err != nil {
			return nil, err
		}
		filter = cond
	}
	// agg(x) FILTER (WHERE c) is agg(CASE WHEN c THEN x END): aggregates skip NULLs.
	filtered := func(e sqlparser.Expr) sqlparser.Expr {
		if filter == nil {
			return e
		}
		return &sqlparser.CaseExpr{Whens: []*sqlparser.When{{Cond: filter, Val: e}}}
	}
	exprs := make([]sqlparser.Expr, 0, len(args))
	for i, a := range args {
		e, err := t.expr(a)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			e = filtered(e)
		}
		exprs = append(exprs, e)
	}
	if fc.AggStar {
		if filter != nil {
			exprs = []sqlparser.Expr{filtered(sqlparser.NewIntVal([]byte("1")))}
		}
	}
	var out sqlparser.Expr
	var err error
	if name == "string_agg" {
		out, err = t.stringAgg(fc, exprs)
	} else {
		out, err = t.mapFunction(fc, name, exprs)
	}
	if err != nil {
		return nil, err
	}
	if fc.Over != nil {
		f, ok := out.(*sqlparser.FuncExpr)
		if !ok {
			return nil, t.unsupported(fc.Location, "%s as a window function is not supported", name)
		}
		over, err := t.over(fc.Over)
		if err != nil {
			return nil, err
		}
		f.Over = over
	}
	return out, nil
}

// over converts an OVER clause.
func (t *translator) over(w *pg_query.WindowDef) (*sqlparser.Over, error) {
	if w.Name != "" { // OVER w
		return &sqlparser.Over{NameRef: sqlparser.NewColIdent(w.Name)}, nil
	}
	def, err := t.windowDef(w)
	if err != nil {
		return nil, err
	}
	return (*sqlparser.Over)(def), nil
}

// stringAgg converts string_agg(x, sep [ORDER BY ...]) into GROUP_CONCAT.
func (t *translator) stringAgg(fc *pg_query.FuncCall, args []sqlparser.Expr) (sqlparser.Expr, error) {
	if len(args) != 2 {
		return nil, t.errorAt(sqlengine.CodeUndefinedFunction, fc.Location, "function string_agg with %d arguments does not exist", len(args))
	}
	sep, ok := args[1].(*sqlparser.SQLVal)
	if !ok || sep.Type != sqlparser.StrVal {
		return nil, t.unsupported(location(fc.Args[1]), "string_agg with a separator other than a string constant is not supported")
	}
	if fc.Over != nil {
		return nil, t.unsupported(fc.Location, "string_agg as a window function is not supported")
	}
	// GROUP_CONCAT skips empty strings where string_agg keeps them, so ''
	// goes in as NUL, which PostgreSQL text cannot contain, and comes out
	// as '' again.
	marked := &sqlparser.CaseExpr{
		Whens: []*sqlparser.When{{
			Cond: &sqlparser.ComparisonExpr{Left: paren(args[0]), Operator: sqlparser.EqualStr, Right: sqlparser.NewStrVal(nil)},
			Val:  sqlparser.NewStrVal([]byte{0}),
		}},
		Else: args[0],
	}
	gc := &sqlparser.GroupConcatExpr{
		Exprs:     sqlparser.SelectExprs{&sqlparser.AliasedExpr{Expr: marked}},
		Separator: sqlparser.Separator{SeparatorString: string(sep.Val)},
	}
	if fc.AggDistinct {
		gc.Distinct = sqlparser.DistinctStr
	}
	if len(fc.AggOrder) > 0 {
		order, err := t.orderBy(fc.AggOrder, outputColumns{})
		if err != nil {
			return nil, err
		}
		gc.OrderBy = order
	}
	return funcExpr("replace", gc, sqlparser.NewStrVal([]byte{0}), sqlparser.NewStrVal(nil)), nil
}

// mapFunction maps a PostgreSQL function onto a GMS builtin with the same
// meaning, a pqsql_* function, or (unknown names) a call GMS resolves itself.
func (t *translator) mapFunction(fc *pg_query.FuncCall, name string, args []sqlparser.Expr) (sqlparser.Expr, error) {
	call := func(n string, a ...sqlparser.Expr) (sqlparser.Expr, error) {
		f := funcExpr(n, a...)
		f.Distinct = fc.AggDistinct
		return f, nil
	}
	switch name {
	case "count":
		if fc.AggStar && len(args) == 0 {
			f := &sqlparser.FuncExpr{Name: sqlparser.NewColIdent("count"), Exprs: sqlparser.SelectExprs{&sqlparser.StarExpr{}}}
			return f, nil
		}
		if fc.AggDistinct {
			// GMS's count(DISTINCT) hashes the values' text, which values of
			// the engine's own types (interval) have not: count keys instead.
			for i, a := range args {
				args[i] = funcExpr(pqsqlPrefix+"distinct_key", a)
			}
		}
		return call("count", args...)
	case "length", "char_length", "character_length":
		return call("char_length", args...)
	case "substr", "substring":
		if len(args) == 2 {
			if v, ok := args[1].(*sqlparser.SQLVal); ok && v.Type == sqlparser.StrVal {
				return nil, t.unsupported(fc.Location, "substring with a regular expression is not supported")
			}
		}
		return call(pqsqlPrefix+"substring", args...)
	case "position": // position(sub IN s) arrives as position(s, sub)
		if len(args) == 2 {
			return call("locate", args[1], args[0])
		}
	case "strpos":
		if len(args) == 2 {
			return call("locate", args[1], args[0])
		}
	case "btrim", "ltrim", "rtrim":
		return t.trim(name, args)
	case "trunc":
		if len(args) == 1 {
			return call("truncate", args[0], sqlparser.NewIntVal([]byte("0")))
		}
		return call("truncate", args...)
	case "random":
		return call("rand", args...)
	case "now", "transaction_timestamp", "statement_timestamp", "clock_timestamp":
		if len(args) == 0 {
			return call("now", sqlparser.NewIntVal([]byte("6")))
		}
	case "log":
		if len(args) == 1 { // PostgreSQL's log(x) is base 10
			return call("log10", args...)
		}
	case "pow":
		return call("power", args...)
	case "abs":
		if len(args) == 1 {
			return call(pqsqlPrefix+"abs", args...)
		}
	case "mod":
		if len(args) == 2 {
			return call(pqsqlPrefix+"mod", args...)
		}
	case "stddev": // PostgreSQL's stddev and variance are the sample statistics
		return call("stddev_samp", args...)
	case "variance":
		return call("var_samp", args...)
	case "concat": // PostgreSQL's concat skips NULLs, as concat_ws does
		return call(pqsqlPrefix+"concat_ws", append([]sqlparser.Expr{sqlparser.NewStrVal(nil)}, args...)...)
	case "concat_ws":
		return call(pqsqlPrefix+"concat_ws", args...)
	case "ceiling":
		return call(pqsqlPrefix+"ceil", args...)
	case "bool_and", "every":
		return call("min", args...)
	case "bool_or":
		return call("max", args...)
	case "current_user", "current_role", "user":
		return call(pqsqlPrefix + "current_user")
	case "session_user":
		return call(pqsqlPrefix + "session_user")
	case "current_catalog":
		return call(pqsqlPrefix + "current_database")
	case "array_agg", "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "xmlagg",
		"percentile_cont", "percentile_disc", "mode":
		return nil, t.unsupported(fc.Location, "%s is not supported", name)
	case "generate_series", "unnest", "generate_subscripts", "regexp_split_to_table", "json_each",
		"jsonb_each", "json_array_elements", "jsonb_array_elements", "pg_get_keywords":
		return nil, t.unsupported(fc.Location, "set-returning function %s is not supported", name)
	}
	if pqsqlCall(name) || arrayFunction(name) {
		return call(pqsqlPrefix+name, args...)
	}
	return call(name, args...)
}

// trim converts btrim/ltrim/rtrim (what TRIM([BOTH|LEADING|TRAILING] ...)
// becomes). MySQL's TRIM strips a repeated string where PostgreSQL strips any
// of a set of characters; the two agree for one character.
func (t *translator) trim(name string, args []sqlparser.Expr) (sqlparser.Expr, error) {
	dir := sqlparser.Both
	switch name {
	case "ltrim":
		dir = sqlparser.Leading
	case "rtrim":
		dir = sqlparser.Trailing
	}
	switch len(args) {
	case 1:
		return &sqlparser.TrimExpr{Str: args[0], Pattern: sqlparser.NewStrVal([]byte(" ")), Dir: dir}, nil
	case 2:
		if v, ok := args[1].(*sqlparser.SQLVal); ok && v.Type == sqlparser.StrVal && len([]rune(string(v.Val))) == 1 {
			return &sqlparser.TrimExpr{Str: args[0], Pattern: v, Dir: dir}, nil
		}
		return funcExpr(pqsqlPrefix+name, args...), nil
	}
	return funcExpr(name, args...), nil
}

// sqlValueFunction converts CURRENT_DATE, CURRENT_TIMESTAMP, CURRENT_USER and friends.
func (t *translator) sqlValueFunction(f *pg_query.SQLValueFunction) (sqlparser.Expr, error) {
	precision := sqlparser.NewIntVal([]byte("6"))
	if f.Typmod >= 0 {
		precision = sqlparser.NewIntVal([]byte(strconv.Itoa(int(f.Typmod))))
	}
	switch f.Op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		// GMS's CURRENT_DATE is text; as a date it takes part in date
		// arithmetic (current_date - 7) and reports type date.
		return castCall(funcExpr("current_date"), "date"), nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N:
		return funcExpr(pqsqlPrefix + "current_time"), nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		return funcExpr("now", precision), nil
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		return funcExpr("curtime", precision), nil
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		return castCall(funcExpr("now", precision), "timestamp"), nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER,
		pg_query.SQLValueFunctionOp_SVFOP_USER:
		return funcExpr(pqsqlPrefix + "current_user"), nil
	case pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER:
		return funcExpr(pqsqlPrefix + "session_user"), nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		return funcExpr(pqsqlPrefix + "current_database"), nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		return funcExpr(pqsqlPrefix + "current_schema"), nil
	}
	return nil, t.unsupported(f.Location, "unsupported SQL value function")
}
