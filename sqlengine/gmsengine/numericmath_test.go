package gmsengine

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
)

// TestNumericMath checks the numeric versions of sqrt, exp, ln, log and
// power against PostgreSQL 15's output for the same arguments.
func TestNumericMath(t *testing.T) {
	d := decimal.RequireFromString
	one := func(fn func(decimal.Decimal) (decimal.Decimal, error)) func(a ...string) (decimal.Decimal, error) {
		return func(a ...string) (decimal.Decimal, error) { return fn(d(a[0])) }
	}
	two := func(fn func(x, y decimal.Decimal) (decimal.Decimal, error)) func(a ...string) (decimal.Decimal, error) {
		return func(a ...string) (decimal.Decimal, error) { return fn(d(a[0]), d(a[1])) }
	}
	sqrt, exp, ln := one(numericSqrt), one(numericExp), one(numericLn)
	log10 := one(func(x decimal.Decimal) (decimal.Decimal, error) { return numericLog(decimal.NewFromInt(10), x) })
	log, power := two(numericLog), two(numericPower)
	tests := []struct {
		name string
		fn   func(a ...string) (decimal.Decimal, error)
		args []string
		want string // PostgreSQL's text, or "ERROR code message"
	}{
		{"sqrt", sqrt, []string{"2.0"}, "1.414213562373095"},
		{"sqrt", sqrt, []string{"16"}, "4.000000000000000"},
		{"sqrt", sqrt, []string{"0"}, "0.000000000000000"},
		{"sqrt", sqrt, []string{"0.0001"}, "0.01000000000000000"},
		{"sqrt", sqrt, []string{"1e100"}, "100000000000000000000000000000000000000000000000000"},
		{"sqrt", sqrt, []string{"123456789.123456789"}, "11111.11106611111"},
		{"sqrt", sqrt, []string{"0.000000000000000000123"}, "0.0000000003507135583350036"},
		{"sqrt", sqrt, []string{"2.00000000000000000000000000000000000000"}, "1.41421356237309504880168872420969807857"},
		{"sqrt", sqrt, []string{"-1.0"}, "ERROR 2201F cannot take square root of a negative number"},
		{"exp", exp, []string{"1.0"}, "2.7182818284590452"},
		{"exp", exp, []string{"0.0"}, "1.0000000000000000"},
		{"exp", exp, []string{"-1.5"}, "0.2231301601484298"},
		{"exp", exp, []string{"100.5"}, "44319559098458954160107061979564816895899481.9"},
		{"exp", exp, []string{"-100.5"}, "0.00000000000000000000000000000000000000000002256340135917036"},
		{"exp", exp, []string{"1"}, "2.7182818284590452"},
		{"exp", exp, []string{"0.0000001"}, "1.0000001000000050"},
		{"exp", exp, []string{"-6000"}, "0." + strings.Repeat("0", 1000)},
		{"exp", exp, []string{"6000.0"}, "ERROR 22003 value overflows numeric format"},
		{"ln", ln, []string{"10"}, "2.3025850929940457"},
		{"ln", ln, []string{"2.0"}, "0.6931471805599453"},
		{"ln", ln, []string{"1.0"}, "0.0000000000000000"},
		{"ln", ln, []string{"1.05"}, "0.048790164169432003"},
		{"ln", ln, []string{"0.95"}, "-0.051293294387550533"},
		{"ln", ln, []string{"1e-50"}, "-115.12925464970228420089957273421821038005507443143865"},
		{"ln", ln, []string{"1e300"}, "690.77552789821371"},
		{"ln", ln, []string{"0.5"}, "-0.6931471805599453"},
		{"ln", ln, []string{"1.0000000001"}, "0.00000000009999999999500000"},
		{"ln", ln, []string{"123.456"}, "4.8158848172832639"},
		{"ln", ln, []string{"0"}, "ERROR 2201E cannot take logarithm of zero"},
		{"ln", ln, []string{"-1.0"}, "ERROR 2201E cannot take logarithm of a negative number"},
		{"log", log10, []string{"100"}, "2.0000000000000000"},
		{"log", log10, []string{"2.0"}, "0.3010299956639812"},
		{"log", log10, []string{"1e10"}, "10.000000000000000"},
		{"log", log10, []string{"0.001"}, "-3.0000000000000000"},
		{"log", log10, []string{"0.0"}, "ERROR 2201E cannot take logarithm of zero"},
		{"log", log, []string{"2", "8"}, "3.0000000000000000"},
		{"log", log, []string{"2.0", "8"}, "3.0000000000000000"},
		{"log", log, []string{"10", "1000"}, "3.0000000000000000"},
		{"log", log, []string{"3", "10.5"}, "2.1403139955899648"},
		{"log", log, []string{"0.5", "0.25"}, "2.0000000000000000"},
		{"log", log, []string{"1.1", "1e20"}, "483.17715856193611"},
		{"log", log, []string{"1.0", "5"}, "ERROR 22012 division by zero"},
		{"power", power, []string{"2.0", "0.5"}, "1.4142135623730950"},
		{"power", power, []string{"2", "0.5"}, "1.4142135623730950"},
		{"power", power, []string{"2.0", "10"}, "1024.0000000000000000"},
		{"power", power, []string{"2.0", "10.0"}, "1024.0000000000000000"},
		{"power", power, []string{"0.5", "100"}, "0.0000000000000000"},
		{"power", power, []string{"2", "-3"}, "0.1250000000000000"},
		{"power", power, []string{"-2.0", "3"}, "-8.0000000000000000"},
		{"power", power, []string{"-2.0", "4"}, "16.0000000000000000"},
		{"power", power, []string{"1.5", "2.5"}, "2.7556759606310754"},
		{"power", power, []string{"10", "50"}, "100000000000000000000000000000000000000000000000000.0000000000000000"},
		{"power", power, []string{"0.0", "0"}, "1.0000000000000000"},
		{"power", power, []string{"0", "0.5"}, "0.0000000000000000"},
		{"power", power, []string{"0", "2"}, "0.0000000000000000"},
		{"power", power, []string{"1.0000001", "1000000"}, "1.1051709125497934"},
		{"power", power, []string{"7", "-1"}, "0.1428571428571429"},
		{"power", power, []string{"3.0", "2"}, "9.0000000000000000"},
		{"power", power, []string{"1.23456", "1"}, "1.2345600000000000"},
		{"power", power, []string{"99.9", "33.3"}, "3850620848648807112956002687766441005807075400676654919584253404522.8"},
		{"power", power, []string{"0.001", "0.001"}, "0.9931160484209338"},
		{"power", power, []string{"123456.789", "-2.5"}, "0.0000000000001867293378033750"},
		{"power", power, []string{"10", "-20"}, "0.0000000000000000"},
		{"power", power, []string{"3.0", "-5"}, "0.0041152263374486"},
		{"power", power, []string{"1.5", "40"}, "11057332.3209400121422732"},
		{"power", power, []string{"0.9", "1000"}, "0.0000000000000000"},
		{"power", power, []string{"-3.0", "2.0"}, "9.0000000000000000"},
		{"power", power, []string{"0.5", "20000.5"}, "0." + strings.Repeat("0", 1000)},
		{"power", power, []string{"10", "7000.5"}, "ERROR 22003 value overflows numeric format"},
		{"power", power, []string{"2.0", "2147483647"}, "ERROR 22003 value overflows numeric format"},
		{"power", power, []string{"-2.0", "10000000001"}, "ERROR 22003 value overflows numeric format"},
		{"power", power, []string{"-2.0", "3.5"}, "ERROR 2201F a negative number raised to a non-integer power yields a complex result"},
		{"power", power, []string{"0.0", "-1"}, "ERROR 2201F zero raised to a negative power is undefined"},
	}
	for _, tt := range tests {
		r, err := tt.fn(tt.args...)
		got := ""
		if err != nil {
			var pe *sqlengine.Error
			if !errors.As(err, &pe) {
				t.Errorf("%s(%s): %v", tt.name, strings.Join(tt.args, ", "), err)
				continue
			}
			got = "ERROR " + pe.Code + " " + pe.Message
		} else {
			got = numericText(r)
		}
		if got != tt.want {
			t.Errorf("%s(%s) = %s, want %s", tt.name, strings.Join(tt.args, ", "), got, tt.want)
		}
	}
}
