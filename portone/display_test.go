package portone_test

import (
	"testing"

	"github.com/payresult/payresult/portone"
)

func TestAmountDisplay(t *testing.T) {
	tests := []struct {
		name, amount, currency, want string
	}{
		{"won", "12000", "KRW", "12,000원"},
		{"no currency is won", "5000", "", "5,000원"},
		{"small", "900", "KRW", "900원"},
		{"millions", "1234567", "KRW", "1,234,567원"},
		{"zero", "0", "KRW", "0원"},
		{"negative", "-12000", "KRW", "-12,000원"},
		{"dollars and cents", "1234.5", "USD", "1,234.50 USD"},
		{"whole dollars", "20", "USD", "20 USD"},
		{"yen", "3000", "JPY", "3,000 JPY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := portone.MustParseAmount(tt.amount).Display(tt.currency); got != tt.want {
				t.Errorf("Display(%s %s) = %q, want %q", tt.amount, tt.currency, got, tt.want)
			}
		})
	}
}
