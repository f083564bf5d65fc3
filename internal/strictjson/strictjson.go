// Package strictjson refuses the JSON bodies that encoding/json reads one
// way here and another reader may read another way: an object that repeats
// a key (encoding/json keeps the last value, other decoders the first),
// and a string where a number belongs ("amount":"1000", which a lenient
// field type would take for 1000). The app API and the sandbox check every
// JSON body with it before decoding.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrSyntax means the body is not one JSON value.
var ErrSyntax = errors.New("not one valid JSON value")

// DuplicateKeyError is an object that holds Key more than once.
type DuplicateKeyError struct{ Key string }

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("the key %q appears twice in one object", e.Key)
}

// StringNumberError is a JSON string under a key whose value must be a
// number.
type StringNumberError struct{ Key, Value string }

func (e *StringNumberError) Error() string {
	return fmt.Sprintf("%s: a JSON string (%q) where a number belongs; send %s without quotes", e.Key, e.Value, e.Value)
}

// Check reads b, one JSON value, and refuses a repeated key in any of its
// objects and a string under any key that numbers names, at any depth. It
// fails with ErrSyntax, a *DuplicateKeyError or a *StringNumberError.
// Types and unknown fields are the decoder's business.
func Check(b []byte, numbers map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := checkValue(dec, "", numbers); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrSyntax
	}
	return nil
}

// checkValue reads one value; key is the object key it belongs to.
func checkValue(dec *json.Decoder, key string, numbers map[string]bool) error {
	tok, err := dec.Token()
	if err != nil {
		return ErrSyntax
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			for dec.More() {
				if err := checkValue(dec, key, numbers); err != nil {
					return err
				}
			}
		} else if err := checkObject(dec, numbers); err != nil {
			return err
		}
		if _, err := dec.Token(); err != nil {
			return ErrSyntax
		}
	case string:
		if numbers[key] {
			return &StringNumberError{Key: key, Value: t}
		}
	}
	return nil
}

// checkObject reads an object's members, up to its closing brace.
func checkObject(dec *json.Decoder, numbers map[string]bool) error {
	seen := map[string]bool{}
	for dec.More() {
		k, err := dec.Token()
		name, ok := k.(string)
		if err != nil || !ok {
			return ErrSyntax
		}
		if seen[name] {
			return &DuplicateKeyError{Key: name}
		}
		seen[name] = true
		if err := checkValue(dec, name, numbers); err != nil {
			return err
		}
	}
	return nil
}
