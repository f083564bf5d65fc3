package portone_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/payresult/payresult/portone"
)

func TestCheckMinorUnit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		amount   string
		currency string
		field    string // the InputError's field; empty when the amount is fine
	}{
		{"1000", "KRW", ""},
		{"0", "KRW", ""},
		{"-3", "KRW", ""},
		{"0.5", "KRW", "amount"},
		{"1000.0001", "KRW", "amount"},
		{"100", "JPY", ""},
		{"99.9", "JPY", "amount"},
		{"12.34", "USD", ""},
		{"12.3", "USD", ""},
		{"12.345", "USD", "amount"},
		{"0.001", "EUR", "amount"},
		{"1.234", "KWD", ""},
		{"1.2345", "KWD", "amount"},
		{"1.2345", "CLF", ""},
		{"10", "XYZ", "currency"},
		{"10", "krw", "currency"}, // codes are upper case
		{"10", "", "currency"},
	} {
		err := portone.MustParseAmount(tc.amount).CheckMinorUnit(tc.currency)
		var in *portone.InputError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s %s: CheckMinorUnit = %v, want nil", tc.amount, tc.currency, err)
		case tc.field != "" && !errors.As(err, &in):
			t.Errorf("%s %s: CheckMinorUnit = %v, want an *InputError for %s", tc.amount, tc.currency, err, tc.field)
		case tc.field != "" && in.Field != tc.field:
			t.Errorf("%s %s: CheckMinorUnit names %q (%v), want %q", tc.amount, tc.currency, in.Field, err, tc.field)
		}
	}
}

func TestMinorUnit(t *testing.T) {
	t.Parallel()
	for cur, want := range map[string]int{"KRW": 0, "JPY": 0, "USD": 2, "EUR": 2, "CNY": 2, "BHD": 3, "UYW": 4} {
		if got, ok := portone.MinorUnit(cur); !ok || got != want {
			t.Errorf("MinorUnit(%s) = %d, %t; want %d, true", cur, got, ok, want)
		}
	}
	if got, ok := portone.MinorUnit("XAU"); ok {
		t.Errorf("MinorUnit(XAU) = %d, true; want not a currency", got)
	}
}

func ExampleAmount_CheckMinorUnit() {
	fmt.Println(portone.MustParseAmount("12000").CheckMinorUnit("KRW"))
	fmt.Println(portone.MustParseAmount("0.5").CheckMinorUnit("KRW"))
	fmt.Println(portone.MustParseAmount("19.99").CheckMinorUnit("USD"))
	fmt.Println(portone.MustParseAmount("19.999").CheckMinorUnit("USD"))
	fmt.Println(portone.MustParseAmount("100").CheckMinorUnit("ABC"))
	// Output:
	// <nil>
	// portone: invalid amount: 0.5 is not a whole number: KRW has no minor unit
	// <nil>
	// portone: invalid amount: 19.999 has more than 2 decimals: USD counts to 0.01
	// portone: invalid currency: "ABC" is not an ISO 4217 currency code (such as KRW, USD or JPY)
}
