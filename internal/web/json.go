package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/strictjson"
)

// maxJSONBytes bounds an API request body; an order or a refund is a few
// hundred bytes.
const maxJSONBytes = 64 << 10

// numberFields are the keys of the app API's bodies whose values must be
// JSON numbers.
var numberFields = map[string]bool{"amount": true}

// decodeJSON reads exactly one JSON object into v from r's body. It refuses
// another content type, a body over maxJSONBytes, unknown fields, a key
// given twice, a string where a number belongs, and anything after the
// object, so a client's typo fails loudly instead of being half-applied.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return payresult.Errorf(payresult.KindUnsupportedMedia, "Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	if err != nil {
		return jsonError(err)
	}
	// What encoding/json lets through: a repeated key (it keeps the last)
	// and "amount":"1000" (portone.Amount reads PortOne's quoted amounts).
	// Malformed JSON is left to the decoder, whose messages say more.
	if err := strictjson.Check(body, numberFields); err != nil && !errors.Is(err, strictjson.ErrSyntax) {
		return payresult.WrapError(payresult.KindInvalid, err, "invalid body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return jsonError(err)
		}
		return payresult.Errorf(payresult.KindInvalid, "the body must hold one JSON object only")
	}
	return nil
}

// jsonError turns a decoding failure into a message a client can act on.
func jsonError(err error) error {
	var (
		tooBig    *http.MaxBytesError
		syntax    *json.SyntaxError
		typeError *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return payresult.Errorf(payresult.KindTooLarge, "the body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return payresult.Errorf(payresult.KindInvalid, "the body is empty; send a JSON object")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return payresult.Errorf(payresult.KindInvalid, "the body is not valid JSON")
	case errors.As(err, &typeError):
		if typeError.Field != "" {
			return payresult.Errorf(payresult.KindInvalid, "field %q has the wrong type", typeError.Field)
		}
		return payresult.Errorf(payresult.KindInvalid, "the body must be a JSON object")
	}
	// Unknown fields and bad values (an amount that is not a number) come
	// back as plain errors whose text names the field.
	return payresult.WrapError(payresult.KindInvalid, err, "invalid body: %s", err.Error())
}
