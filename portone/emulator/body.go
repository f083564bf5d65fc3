package emulator

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/payresult/payresult/internal/strictjson"
	"github.com/payresult/payresult/portone"
)

// amountFields are the keys that hold money in the bodies the sandbox
// reads: a JSON string there is refused, as PortOne's schema types them
// as numbers. (A form body carries only strings; PortOne reads them as
// numbers, and so does the sandbox.)
var amountFields = map[string]bool{
	"amount": true, "cancel_amount": true, "checksum": true, "tax_free": true, "vat_amount": true,
	"discount": true, "paid_amount": true,
	// V2's names
	"totalAmount": true, "taxFreeAmount": true, "vatAmount": true, "currentCancellableAmount": true,
}

// checkJSON refuses a JSON body that repeats a key in one object, or
// that holds a string where an amount belongs. Decoders keep one of the
// repeated values silently, so a body that says two things is refused
// rather than read one way here and another way elsewhere.
func checkJSON(b []byte) error {
	err := strictjson.Check(b, amountFields)
	var dup *strictjson.DuplicateKeyError
	switch {
	case errors.Is(err, strictjson.ErrSyntax):
		return errBody
	case errors.As(err, &dup):
		return fmt.Errorf("%w: %v", errBody, err)
	}
	return err
}

// checkForm refuses a form body that repeats a key, except PHP-style
// arrays (notice_url[]=a&notice_url[]=b).
func checkForm(vals url.Values) error {
	for k, vs := range vals {
		if len(vs) > 1 && !strings.HasSuffix(k, "[]") {
			return fmt.Errorf("%w: the key %q appears %d times", errBody, k, len(vs))
		}
	}
	return nil
}

// checkAmount checks that a counts in the minor unit of currency (KRW
// and JPY whole, USD to the cent), naming field when it does not. An
// empty currency is KRW, as PortOne assumes.
func checkAmount(field string, a portone.Amount, currency string) error {
	if currency == "" {
		currency = "KRW"
	}
	err := a.CheckMinorUnit(currency)
	var ie *portone.InputError
	if errors.As(err, &ie) && ie.Field == "amount" {
		return fmt.Errorf("%s: %s", field, ie.Reason)
	}
	if errors.As(err, &ie) {
		return fmt.Errorf("%s: %s", ie.Field, ie.Reason)
	}
	return err
}
