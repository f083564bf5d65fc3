package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/payresult/payresult/portone"
)

// PortOne's API answers are written by PHP's json_encode: compact, "/"
// escaped as "\/", everything beyond ASCII as \uXXXX, and HTML characters
// left alone. Some merchants decode the \u escapes by hand, so the exact
// bytes matter.

const (
	contentTypeJSON = "application/json"
	contentTypeForm = "application/x-www-form-urlencoded"
	// apiContentType is what the REST API answers with.
	apiContentType = "application/json; charset=utf-8"
)

// phpJSON encodes v the way PortOne does.
func phpJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only our own types reach here, and all of them encode.
		panic("emulator: encoding " + err.Error())
	}
	return phpEscape(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// phpEscape rewrites valid compact JSON text so that "/" and every
// non-ASCII character are escaped and the HTML escapes Go's encoders add
// (\u0026, \u003c, \u003e) are undone. All of these occur only inside
// strings, and escapes are always well formed, so one pass suffices.
func phpEscape(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/4)
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\\' && i+1 < len(b) && b[i+1] == 'u' && i+6 <= len(b):
			if h := htmlUnescape(b[i+2 : i+6]); h != 0 {
				out = append(out, h)
			} else {
				out = append(out, b[i:i+6]...)
			}
			i += 6
		case c == '\\' && i+1 < len(b):
			out = append(out, c, b[i+1])
			i += 2
		case c == '/':
			out = append(out, '\\', '/')
			i++
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			i += size
			if r >= 0x10000 {
				r -= 0x10000
				out = appendU(out, 0xD800+(r>>10))
				out = appendU(out, 0xDC00+(r&0x3FF))
			} else {
				out = appendU(out, r)
			}
		}
	}
	return out
}

// htmlUnescape returns the character of an HTML-safety escape, or 0.
func htmlUnescape(hex []byte) byte {
	switch string(hex) {
	case "0026":
		return '&'
	case "003c":
		return '<'
	case "003e":
		return '>'
	}
	return 0
}

func appendU(out []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(out, '\\', 'u', hex[r>>12&0xF], hex[r>>8&0xF], hex[r>>4&0xF], hex[r&0xF])
}

// encodePayment is the wire form of one payment, cached in its record.
func encodePayment(p *portone.Payment) []byte { return phpJSON(p) }

var (
	envelopeHead = []byte(`{"code":`)
	envelopeOK   = []byte(`{"code":0,"message":null,"response":`)
)

// writeRaw writes the envelope around response, which is already encoded
// JSON (nil means null).
func writeRaw(w http.ResponseWriter, status, code int, message string, response []byte) {
	h := w.Header()
	h["Content-Type"] = []string{apiContentType}
	var buf []byte
	if code == 0 && message == "" {
		buf = make([]byte, 0, len(envelopeOK)+len(response)+5)
		buf = append(buf, envelopeOK...)
	} else {
		buf = append(buf, envelopeHead...)
		buf = strconv.AppendInt(buf, int64(code), 10)
		buf = append(buf, `,"message":`...)
		if message == "" {
			buf = append(buf, "null"...)
		} else {
			buf = append(buf, phpJSON(message)...)
		}
		buf = append(buf, `,"response":`...)
	}
	if response == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, response...)
	}
	buf = append(buf, '}')
	w.WriteHeader(status)
	w.Write(buf)
}

// writeOK answers HTTP 200, code 0, message null, with v as the response.
func writeOK(w http.ResponseWriter, v any) {
	writeRaw(w, http.StatusOK, 0, "", phpJSON(v))
}

// writeFail answers a failure envelope with response null.
func writeFail(w http.ResponseWriter, status, code int, message string) {
	writeRaw(w, status, code, message, nil)
}

// writePaymentList writes records' cached encodings as a JSON array.
func appendPaymentList(buf []byte, recs []*record) []byte {
	buf = append(buf, '[')
	for i, r := range recs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, r.wire...)
	}
	return append(buf, ']')
}
