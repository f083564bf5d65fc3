package portone

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a hand-written decoder for the one answer on the hot path
// of every payment confirmation: the envelope around a single Payment.
// encoding/json spends most of its time on a validation pass over the
// whole body and on reflection; this decoder validates as it goes and
// fills the fields directly.
//
// It is an optimisation only, never a second opinion: whenever the input
// is outside the plain, well-formed JSON PortOne writes, it reports "not
// handled" and the caller runs encoding/json, which then decides, error
// messages included. Its rule is that it never produces a value that
// encoding/json would not produce from the same bytes; the differential
// tests and the fuzz target in fastdecode_test.go hold it to that.

// maxSkipDepth bounds the nesting of the values the decoder validates
// itself. encoding/json allows 10000; anything deeper is left to it.
const maxSkipDepth = 100

// decodeFast decodes body without encoding/json when T has a hand-written
// decoder (only *Payment has) and body is within what it handles. It
// reports false otherwise, and the caller decodes body with encoding/json
// as if decodeFast had not been called.
func decodeFast[T any](body []byte) (env envelope[T], ok bool) {
	if e, isPayment := any(&env).(*envelope[*Payment]); isPayment {
		*e, ok = decodePaymentEnvelope(body)
	}
	return env, ok
}

// decodePaymentEnvelope is decodeFast for a single Payment.
func decodePaymentEnvelope(body []byte) (envelope[*Payment], bool) {
	d := fastDecoder{data: body}
	var env envelope[*Payment]
	d.skipSpace()
	if !decodeStruct(&d, envelopeFields, &env) {
		return envelope[*Payment]{}, false
	}
	d.skipSpace()
	if d.pos != len(d.data) { // trailing data: encoding/json's error to report
		return envelope[*Payment]{}, false
	}
	return env, true
}

// fastDecoder reads JSON text from data, validating it as it goes. Every
// method that reads a value expects d.pos at the value's first byte (no
// space before it) and leaves d.pos just after the value. It returns
// false when the value is not one it handles, after which d is not used
// again.
type fastDecoder struct {
	data []byte
	pos  int
}

// The tables of the envelope, of Payment and of the types it holds.
var (
	envelopeFields = newStructFields([]field[envelope[*Payment]]{
		{"code", func(d *fastDecoder, e *envelope[*Payment]) bool { return d.code(&e.Code) }},
		{"message", func(d *fastDecoder, e *envelope[*Payment]) bool { return d.stringPointer(&e.Message) }},
		// null is no payment, which the callers of decode report.
		{"response", func(d *fastDecoder, e *envelope[*Payment]) bool { return structPointer(d, paymentFields, &e.Response) }},
	})

	paymentFields = newStructFields([]field[Payment]{
		{"amount", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.Amount) }},
		{"apply_num", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.ApplyNum) }},
		{"bank_code", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.BankCode) }},
		{"bank_name", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.BankName) }},
		{"buyer_addr", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.BuyerAddr) }},
		{"buyer_email", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.BuyerEmail) }},
		{"buyer_name", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.BuyerName) }},
		{"buyer_postcode", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.BuyerPostcode) }},
		{"buyer_tel", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.BuyerTel) }},
		{"cancel_amount", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CancelAmount) }},
		{"cancel_history", func(d *fastDecoder, p *Payment) bool { return sliceValue(d, &p.CancelHistory, cancellationValue) }},
		{"cancel_reason", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CancelReason) }},
		{"cancel_receipt_urls", func(d *fastDecoder, p *Payment) bool { return sliceValue(d, &p.CancelReceiptURLs, stringField) }},
		{"cancelled_at", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CancelledAt) }},
		{"card_code", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CardCode) }},
		{"card_issuer_code", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CardIssuerCode) }},
		{"card_issuer_name", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CardIssuerName) }},
		{"card_name", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CardName) }},
		{"card_number", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CardNumber) }},
		{"card_publisher_code", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CardPublisherCode) }},
		{"card_publisher_name", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CardPublisherName) }},
		{"card_quota", func(d *fastDecoder, p *Payment) bool { return d.intValue(&p.CardQuota) }},
		{"card_type", func(d *fastDecoder, p *Payment) bool { return d.intPointer(&p.CardType) }},
		{"cash_receipt_issued", func(d *fastDecoder, p *Payment) bool { return d.boolValue(&p.CashReceiptIssued) }},
		{"channel", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.Channel) }},
		{"currency", func(d *fastDecoder, p *Payment) bool { return stringField(d, &p.Currency) }},
		{"custom_data", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CustomData) }},
		{"customer_uid", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CustomerUID) }},
		{"customer_uid_usage", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.CustomerUIDUsage) }},
		{"deposit_history", func(d *fastDecoder, p *Payment) bool { return sliceValue(d, &p.DepositHistory, depositValue) }},
		{"emb_pg_provider", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.EmbPGProvider) }},
		{"escrow", func(d *fastDecoder, p *Payment) bool { return d.boolValue(&p.Escrow) }},
		{"fail_reason", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.FailReason) }},
		{"failed_at", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.FailedAt) }},
		{"imp_uid", func(d *fastDecoder, p *Payment) bool { return stringField(d, &p.ImpUID) }},
		{"merchant_uid", func(d *fastDecoder, p *Payment) bool { return stringField(d, &p.MerchantUID) }},
		{"name", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.Name) }},
		{"paid_at", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.PaidAt) }},
		{"pay_method", func(d *fastDecoder, p *Payment) bool { return stringField(d, &p.PayMethod) }},
		{"pg_id", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.PGID) }},
		{"pg_provider", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.PGProvider) }},
		{"pg_tid", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.PGTID) }},
		{"promotion", func(d *fastDecoder, p *Payment) bool { return structPointer(d, promotionFields, &p.Promotion) }},
		{"receipt_url", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.ReceiptURL) }},
		{"sandbox", func(d *fastDecoder, p *Payment) bool { return d.boolValue(&p.Sandbox) }},
		{"started_at", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.StartedAt) }},
		{"status", func(d *fastDecoder, p *Payment) bool { return stringField(d, &p.Status) }},
		{"user_agent", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.UserAgent) }},
		{"vbank_code", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.VbankCode) }},
		{"vbank_date", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.VbankDate) }},
		{"vbank_holder", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.VbankHolder) }},
		{"vbank_issued_at", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.VbankIssuedAt) }},
		{"vbank_name", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.VbankName) }},
		{"vbank_num", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.VbankNum) }},
		{"extension", func(d *fastDecoder, p *Payment) bool { return d.unmarshaler(&p.Extension) }},
	})

	cancellationFields = newStructFields([]field[Cancellation]{
		{"pg_tid", func(d *fastDecoder, c *Cancellation) bool { return stringField(d, &c.PGTID) }},
		{"amount", func(d *fastDecoder, c *Cancellation) bool { return d.unmarshaler(&c.Amount) }},
		{"cancelled_at", func(d *fastDecoder, c *Cancellation) bool { return d.unmarshaler(&c.CancelledAt) }},
		{"reason", func(d *fastDecoder, c *Cancellation) bool { return stringField(d, &c.Reason) }},
		{"cancellation_id", func(d *fastDecoder, c *Cancellation) bool { return stringField(d, &c.CancellationID) }},
		{"receipt_url", func(d *fastDecoder, c *Cancellation) bool { return d.unmarshaler(&c.ReceiptURL) }},
	})

	depositFields = newStructFields([]field[Deposit]{
		{"pg_tid", func(d *fastDecoder, v *Deposit) bool { return stringField(d, &v.PGTID) }},
		{"amount", func(d *fastDecoder, v *Deposit) bool { return d.unmarshaler(&v.Amount) }},
		{"depositor_name", func(d *fastDecoder, v *Deposit) bool { return stringField(d, &v.DepositorName) }},
		{"deposited_at", func(d *fastDecoder, v *Deposit) bool { return d.unmarshaler(&v.DepositedAt) }},
	})

	promotionFields = newStructFields([]field[Promotion]{
		{"id", func(d *fastDecoder, v *Promotion) bool { return stringField(d, &v.ID) }},
		{"discount", func(d *fastDecoder, v *Promotion) bool { return d.unmarshaler(&v.Discount) }},
	})
)

func cancellationValue(d *fastDecoder, c *Cancellation) bool {
	return structValue(d, cancellationFields, c)
}

func depositValue(d *fastDecoder, v *Deposit) bool { return structValue(d, depositFields, v) }

// field decodes the value of the key name into its field of a T.
type field[T any] struct {
	name   string // the json name, exactly
	decode func(d *fastDecoder, v *T) bool
}

// structFields is the hand-written decoding of a struct type T: one entry
// per field of T, in declaration order. TestFastDecodeCoversStructs checks
// each table against its type, since a field missing from a table would
// be skipped as an unknown key.
type structFields[T any] struct {
	list  []field[T]
	index map[string]int // name → position in list
}

func newStructFields[T any](list []field[T]) *structFields[T] {
	if len(list) > 64 {
		panic("portone: the seen set of decodeStruct is a uint64")
	}
	index := make(map[string]int, len(list))
	for i, f := range list {
		index[f.name] = i
	}
	return &structFields[T]{list: list, index: index}
}

// lookup returns the position of the field named exactly key. PortOne
// writes the keys in declaration order, so the field after the previous
// one (next) is tried before the map.
func (fs *structFields[T]) lookup(key []byte, next int) (int, bool) {
	if next < len(fs.list) && fs.list[next].name == string(key) {
		return next, true
	}
	i, ok := fs.index[string(key)]
	return i, ok
}

// decodeStruct reads an object into v, which must be zero: a field whose
// key is absent keeps its zero value, as with encoding/json.
func decodeStruct[T any](d *fastDecoder, fs *structFields[T], v *T) bool {
	var seen uint64
	next := 0
	return d.object(func(key []byte) bool {
		i, known := fs.lookup(key, next)
		if !known {
			return d.unknownMember(key, fs.index)
		}
		if seen&(1<<i) != 0 { // encoding/json keeps the last one; rare enough to leave to it
			return false
		}
		seen |= 1 << i
		next = i + 1
		return fs.list[i].decode(d, v)
	})
}

// structValue reads an object into *dst, which must be zero; null leaves
// it unchanged, as encoding/json does with a struct.
func structValue[T any](d *fastDecoder, fs *structFields[T], dst *T) bool {
	switch d.peek() {
	case '{':
		return decodeStruct(d, fs, dst)
	case 'n':
		return d.literal("null")
	}
	return false // encoding/json's type error
}

// structPointer reads a *T: null is nil, an object a new T.
func structPointer[T any](d *fastDecoder, fs *structFields[T], dst **T) bool {
	switch d.peek() {
	case '{':
		v := new(T)
		if !decodeStruct(d, fs, v) {
			return false
		}
		*dst = v
		return true
	case 'n':
		*dst = nil
		return d.literal("null")
	}
	return false
}

// sliceValue reads a []E, each element with elem: null is nil, and []
// is empty but not nil, as with encoding/json.
func sliceValue[E any](d *fastDecoder, dst *[]E, elem func(*fastDecoder, *E) bool) bool {
	switch d.peek() {
	case 'n':
		*dst = nil
		return d.literal("null")
	case '[':
	default:
		return false
	}
	out := []E{}
	ok := d.list('[', ']', func() bool {
		var zero E // each element starts from zero, as in a new slice
		out = append(out, zero)
		return elem(d, &out[len(out)-1])
	})
	if ok {
		*dst = out
	}
	return ok
}

// maxFieldName is the longest json name of the tables (checked by a
// test): a longer key cannot match one even ignoring case.
const maxFieldName = 32

// unknownMember skips the value of a key that is not exactly a field's
// name. encoding/json would store a key that matches a name ignoring case
// in that field: such a key is left to it. (Keys with escapes or non-ASCII
// bytes never get here, since Unicode case folding maps a few non-ASCII
// letters, such as the Kelvin sign and the long s, to ASCII ones.)
func (d *fastDecoder) unknownMember(key []byte, names map[string]int) bool {
	if len(key) <= maxFieldName {
		var buf [maxFieldName]byte
		for i, c := range key {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		// Every json name is lower case, so lowering the key folds it.
		if _, ok := names[string(buf[:len(key)])]; ok {
			return false
		}
	}
	_, ok := d.value()
	return ok
}

// object reads an object, calling member for each key with d.pos at its
// value, which member must read.
func (d *fastDecoder) object(member func(key []byte) bool) bool {
	return d.list('{', '}', func() bool {
		key, ok := d.key()
		return ok && member(key)
	})
}

// list reads start, items separated by commas, and end, with space
// around them: the shape of both objects and arrays. item reads one item
// from its first byte.
func (d *fastDecoder) list(start, end byte, item func() bool) bool {
	if !d.consume(start) {
		return false
	}
	d.skipSpace()
	if d.consume(end) {
		return true
	}
	for {
		if !item() {
			return false
		}
		d.skipSpace()
		if d.consume(end) {
			return true
		}
		if !d.consume(',') {
			return false
		}
		d.skipSpace()
	}
}

// key reads an object key and the colon and space after it, and returns
// the key's text. Only printable ASCII without escapes is handled:
// anything else needs encoding/json's unquoting and case folding to match
// a field, or not.
func (d *fastDecoder) key() ([]byte, bool) {
	if !d.consume('"') {
		return nil, false
	}
	start := d.pos
	for d.pos < len(d.data) && keyByte[d.data[d.pos]] {
		d.pos++
	}
	key := d.data[start:d.pos]
	if !d.consume('"') {
		return nil, false
	}
	d.skipSpace()
	if !d.consume(':') {
		return nil, false
	}
	d.skipSpace()
	return key, true
}

// keyByte tells the bytes of the keys that key handles: printable ASCII
// but the quote and the backslash.
var keyByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// unmarshaler reads any value and passes its exact bytes to u, as
// encoding/json does for a field whose type has an UnmarshalJSON method,
// null included. An error from u is left to encoding/json to report.
func (d *fastDecoder) unmarshaler(u json.Unmarshaler) bool {
	raw, ok := d.value()
	return ok && u.UnmarshalJSON(raw) == nil
}

// code reads the envelope's code, which is always an integer: null,
// which encoding/json would take as 0, is left to it.
func (d *fastDecoder) code(dst *int) bool {
	if d.peek() == 'n' {
		return false
	}
	return d.intValue(dst)
}

// stringField reads a JSON string into a field of some string type; null
// leaves the field unchanged, as with encoding/json.
func stringField[S ~string](d *fastDecoder, dst *S) bool {
	s, null, ok := d.stringValue()
	if ok && !null {
		*dst = S(s)
	}
	return ok
}

// stringPointer reads a *string: null is nil, a string a pointer to it.
func (d *fastDecoder) stringPointer(dst **string) bool {
	s, null, ok := d.stringValue()
	switch {
	case !ok:
		return false
	case null:
		*dst = nil
	default:
		*dst = new(s) // not &s, which would put s on the heap for null too
	}
	return true
}

// stringValue reads a string or null. A string with invalid UTF-8, which
// encoding/json would repair, or a value of another JSON type is not
// handled.
func (d *fastDecoder) stringValue() (s string, null, ok bool) {
	switch d.peek() {
	case 'n':
		return "", true, d.literal("null")
	case '"':
		tok, escaped, ok := d.str()
		if !ok || !utf8.Valid(tok) {
			return "", false, false
		}
		if !escaped {
			return string(tok[1 : len(tok)-1]), false, true
		}
		if s, ok := unquote(tok); ok {
			return s, false, true
		}
		s, ok = unquoteStd(tok)
		return s, false, ok
	}
	return "", false, false
}

// unquoteStd unquotes a string token with encoding/json. It is for the
// escapes unquote declines (lone surrogates, which encoding/json turns
// into U+FFFD); it is a function of its own so that its result, which
// escapes to json.Unmarshal, is allocated only when it is called.
func unquoteStd(tok []byte) (string, bool) {
	var s string
	err := json.Unmarshal(tok, &s)
	return s, err == nil
}

// unquoteString returns the text of b when b is exactly one JSON string
// that unquote handles. It checks b itself, since UnmarshalJSON methods
// that call it can be called with anything.
func unquoteString(b []byte) (string, bool) {
	d := fastDecoder{data: b}
	if d.peek() != '"' {
		return "", false
	}
	tok, _, ok := d.str()
	if !ok || d.pos != len(b) || !utf8.Valid(tok) {
		return "", false
	}
	return unquote(tok)
}

// unquote returns the text of tok, a string token with escapes, checked
// by str and valid UTF-8. It declines (false) a \u escape of a surrogate
// that is not half of a pair, which encoding/json replaces with U+FFFD.
func unquote(tok []byte) (string, bool) {
	s := tok[1 : len(tok)-1]
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			b.Write(s)
			break
		}
		b.Write(s[:i])
		s = s[i:]
		if s[1] != 'u' {
			b.WriteByte(unescape(s[1]))
			s = s[2:]
			continue
		}
		r := hex4(s[2:6])
		s = s[6:]
		if utf16.IsSurrogate(r) {
			if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
				return "", false
			}
			if r = utf16.DecodeRune(r, hex4(s[2:6])); r == utf8.RuneError {
				return "", false
			}
			s = s[6:]
		}
		b.WriteRune(r)
	}
	return b.String(), true
}

// unescape returns the byte that a one-letter escape (\n) stands for.
func unescape(c byte) byte {
	switch c {
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return c // " \ /
}

// hex4 decodes the four hex digits of a \u escape, checked by str.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// boolValue reads true or false; null leaves *dst unchanged.
func (d *fastDecoder) boolValue(dst *bool) bool {
	switch d.peek() {
	case 't':
		if !d.literal("true") {
			return false
		}
		*dst = true
		return true
	case 'f':
		if !d.literal("false") {
			return false
		}
		*dst = false
		return true
	case 'n':
		return d.literal("null")
	}
	return false
}

// intValue reads an integer that fits an int; null leaves *dst
// unchanged. A fraction or exponent (1.0, 1e3), which encoding/json
// refuses for an int, is left to it.
func (d *fastDecoder) intValue(dst *int) bool {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	n, ok := d.integer()
	if ok {
		*dst = n
	}
	return ok
}

// intPointer reads a *int: null is nil, an integer a pointer to it.
func (d *fastDecoder) intPointer(dst **int) bool {
	if d.peek() == 'n' {
		*dst = nil
		return d.literal("null")
	}
	n, ok := d.integer()
	if ok {
		*dst = &n
	}
	return ok
}

// integer reads a number without fraction or exponent that fits an int.
func (d *fastDecoder) integer() (int, bool) {
	tok, whole, ok := d.number()
	if !ok || !whole {
		return 0, false
	}
	neg := tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	if len(tok) > 19 { // at least 10^19 (no leading zeros): out of range
		return 0, false
	}
	var n uint64 // below 10^19, so no overflow
	for _, c := range tok {
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= uint64(math.MaxInt)+1:
		return int(-n), true // -n wraps to the two's complement of the result
	case !neg && n <= math.MaxInt:
		return int(n), true
	}
	return 0, false
}

// value reads and validates any JSON value and returns its exact bytes.
func (d *fastDecoder) value() ([]byte, bool) {
	start := d.pos
	if !d.skipValue(0) {
		return nil, false
	}
	return d.data[start:d.pos], true
}

// skipValue reads and validates any JSON value, nested depth levels deep
// in the value being skipped.
func (d *fastDecoder) skipValue(depth int) bool {
	switch c := d.peek(); {
	case c == '{':
		return depth < maxSkipDepth && d.skipObject(depth+1)
	case c == '[':
		return depth < maxSkipDepth && d.skipArray(depth+1)
	case c == '"':
		_, _, ok := d.str()
		return ok
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		_, _, ok := d.number()
		return ok
	}
	return false
}

func (d *fastDecoder) skipObject(depth int) bool {
	return d.list('{', '}', func() bool {
		if d.peek() != '"' {
			return false
		}
		if _, _, ok := d.str(); !ok {
			return false
		}
		d.skipSpace()
		if !d.consume(':') {
			return false
		}
		d.skipSpace()
		return d.skipValue(depth)
	})
}

func (d *fastDecoder) skipArray(depth int) bool {
	return d.list('[', ']', func() bool { return d.skipValue(depth) })
}

// str reads a string and returns its bytes, quotes included. It checks
// what encoding/json's scanner checks: no control character and only
// well-formed escapes. Like that scanner, it accepts invalid UTF-8 and
// \u escapes of lone surrogates, which unquoting replaces with U+FFFD.
func (d *fastDecoder) str() (tok []byte, escaped, ok bool) {
	start := d.pos
	for i := start + 1; i < len(d.data); {
		if plainByte[d.data[i]] { // most bytes: one table look-up each
			i++
			continue
		}
		switch c := d.data[i]; {
		case c == '"':
			d.pos = i + 1
			return d.data[start:d.pos], escaped, true
		case c == '\\':
			n := escapeLen(d.data[i:])
			if n == 0 {
				return nil, false, false
			}
			escaped = true
			i += n
		default: // a control character
			return nil, false, false
		}
	}
	return nil, false, false
}

// plainByte tells the bytes that stand for themselves in a JSON string:
// all but the quote, the backslash and control characters.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < len(t); c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escapeLen returns the length of the escape sequence at the start of b,
// or 0 if it is not one JSON allows.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(b) < 6 {
			return 0
		}
		for _, c := range b[2:6] {
			if !isHex(c) {
				return 0
			}
		}
		return 6
	}
	return 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads a number per RFC 8259 and reports whether it is an integer
// (no fraction, no exponent).
func (d *fastDecoder) number() (tok []byte, whole, ok bool) {
	start := d.pos
	d.consume('-')
	if !d.consume('0') && d.digits() == 0 {
		return nil, false, false
	}
	whole = true
	if d.consume('.') {
		whole = false
		if d.digits() == 0 {
			return nil, false, false
		}
	}
	if d.consume('e') || d.consume('E') {
		whole = false
		if !d.consume('+') {
			d.consume('-')
		}
		if d.digits() == 0 {
			return nil, false, false
		}
	}
	return d.data[start:d.pos], whole, true
}

// digits skips decimal digits and returns how many there were.
func (d *fastDecoder) digits() int {
	start := d.pos
	for d.pos < len(d.data) && '0' <= d.data[d.pos] && d.data[d.pos] <= '9' {
		d.pos++
	}
	return d.pos - start
}

// literal reads lit (true, false or null). What follows it is checked by
// the caller, which expects a comma, a closing bracket or space.
func (d *fastDecoder) literal(lit string) bool {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return false
	}
	d.pos += len(lit)
	return true
}

// peek returns the next byte, or 0 at the end.
func (d *fastDecoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// consume skips c if it is the next byte.
func (d *fastDecoder) consume(c byte) bool {
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *fastDecoder) skipSpace() {
	for d.pos < len(d.data) && isSpace(d.data[d.pos]) {
		d.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
