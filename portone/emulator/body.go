package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

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
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := checkJSONValue(dec, ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBody
	}
	return nil
}

// checkJSONValue reads one value; key is the object key it belongs to.
func checkJSONValue(dec *json.Decoder, key string) error {
	tok, err := dec.Token()
	if err != nil {
		return errBody
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			for dec.More() {
				if err := checkJSONValue(dec, key); err != nil {
					return err
				}
			}
		} else {
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				name, ok := k.(string)
				if err != nil || !ok {
					return errBody
				}
				if seen[name] {
					return fmt.Errorf("%w: the key %q appears twice in one object", errBody, name)
				}
				seen[name] = true
				if err := checkJSONValue(dec, name); err != nil {
					return err
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			return errBody
		}
	case string:
		if amountFields[key] {
			return fmt.Errorf("%s: a JSON string (%q) where a number belongs; send %s without quotes", key, t, t)
		}
	}
	return nil
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
