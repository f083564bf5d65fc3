package strictjson

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	numbers := map[string]bool{"amount": true}
	tests := []struct {
		name string
		body string
		want error // nil, ErrSyntax, or an error of the same type and text
	}{
		{"plain object", `{"amount":1000,"reason":"broken"}`, nil},
		{"null amount", `{"amount":null}`, nil},
		{"string under another key", `{"reason":"1000"}`, nil},
		{"string amount", `{"amount":"1000"}`, &StringNumberError{Key: "amount", Value: "1000"}},
		{"string amount in a nested object", `{"order":{"items":[{"amount":"5"}]}}`, &StringNumberError{Key: "amount", Value: "5"}},
		{"repeated key", `{"amount":1000,"amount":1}`, &DuplicateKeyError{Key: "amount"}},
		{"repeated key in a nested object", `{"a":{"b":1,"b":2}}`, &DuplicateKeyError{Key: "b"}},
		{"same key in two objects", `{"a":{"b":1},"c":{"b":2}}`, nil},
		{"two values", `{"amount":1}{"amount":2}`, ErrSyntax},
		{"truncated", `{"amount":1`, ErrSyntax},
		{"empty", ``, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.body), numbers)
			switch {
			case tt.want == nil && err != nil:
				t.Errorf("Check(%s) = %v, want nil", tt.body, err)
			case tt.want == ErrSyntax && !errors.Is(err, ErrSyntax):
				t.Errorf("Check(%s) = %v, want ErrSyntax", tt.body, err)
			case tt.want != nil && tt.want != ErrSyntax && (err == nil || err.Error() != tt.want.Error()):
				t.Errorf("Check(%s) = %v, want %v", tt.body, err, tt.want)
			}
		})
	}
}
