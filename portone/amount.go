package portone

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// amountScale is how many fractional units an Amount holds per whole
// unit: four decimal places cover every ISO 4217 currency exactly.
const (
	amountDecimals = 4
	amountScale    = 10000
)

// Amount is an exact money amount as PortOne sends it: a JSON number that
// is whole for KRW and may carry decimals for USD and other currencies.
// It is fixed-point, so amounts compare with == and never round.
// The zero value is 0.
type Amount struct{ v int64 } // v is the amount times amountScale

// Won returns an amount of n whole currency units (won for KRW).
func Won(n int64) Amount { return Amount{v: n * amountScale} }

// ParseAmount parses a decimal number such as "1000", "12.5" or "-3".
// It refuses exponents, more than four decimals and values out of range.
func ParseAmount(s string) (Amount, error) {
	bad := func(why string) (Amount, error) {
		return Amount{}, fmt.Errorf("portone: amount %q: %s", s, why)
	}
	if s == "" {
		return bad("empty")
	}
	neg := false
	body := s
	if body[0] == '-' || body[0] == '+' {
		neg = body[0] == '-'
		body = body[1:]
	}
	whole, frac, hasDot := strings.Cut(body, ".")
	if whole == "" || (hasDot && frac == "") {
		return bad("not a decimal number")
	}
	if len(frac) > amountDecimals {
		// Trailing zeros are harmless (12.50000); anything else is not.
		trimmed := strings.TrimRight(frac, "0")
		if len(trimmed) > amountDecimals {
			return bad("more than 4 decimal places")
		}
		frac = trimmed
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return bad("not a decimal number")
			}
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/amountScale {
		return bad("out of range")
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", amountDecimals-len(frac)), 10, 64)
	}
	if w > (math.MaxInt64-f)/amountScale {
		return bad("out of range")
	}
	v := w*amountScale + f
	if neg {
		v = -v
	}
	return Amount{v: v}, nil
}

// MustParseAmount is ParseAmount for constants in tests and examples; it
// panics on a malformed amount.
func MustParseAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

// String formats a as a plain decimal with no trailing zeros: "1000", "12.5".
func (a Amount) String() string {
	v := uint64(a.v) // uint64 so that the most negative amount negates exactly
	sign := ""
	if a.v < 0 {
		sign, v = "-", -v
	}
	whole, frac := v/amountScale, v%amountScale
	if frac == 0 {
		return sign + strconv.FormatUint(whole, 10)
	}
	fs := strings.TrimRight(fmt.Sprintf("%0*d", amountDecimals, frac), "0")
	return sign + strconv.FormatUint(whole, 10) + "." + fs
}

// Int64 returns a in whole units and whether a is whole.
func (a Amount) Int64() (int64, bool) { return a.v / amountScale, a.v%amountScale == 0 }

// IsZero reports whether a is 0.
func (a Amount) IsZero() bool { return a.v == 0 }

// Sign returns -1, 0 or +1.
func (a Amount) Sign() int {
	switch {
	case a.v < 0:
		return -1
	case a.v > 0:
		return 1
	}
	return 0
}

// Add returns a+b.
func (a Amount) Add(b Amount) Amount { return Amount{v: a.v + b.v} }

// Sub returns a-b.
func (a Amount) Sub(b Amount) Amount { return Amount{v: a.v - b.v} }

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b.
func (a Amount) Cmp(b Amount) int { return a.Sub(b).Sign() }

// Scaled returns a times 10,000: the exact fixed-point integer, for stores.
func (a Amount) Scaled() int64 { return a.v }

// AmountFromScaled is the inverse of Scaled.
func AmountFromScaled(v int64) Amount { return Amount{v: v} }

// MarshalJSON writes a as a JSON number: 1000, not "1000" or 1000.0.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

var errAmountJSON = errors.New("portone: amount is not a JSON number")

// UnmarshalJSON reads a JSON number. null reads as 0. A quoted number
// ("1000") is accepted too, since form-encoded PortOne echoes send strings.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*a = Amount{}
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return errAmountJSON
		}
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	v, err := ParseAmount(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MarshalText writes a for form bodies and query strings.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses a from a form value.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
