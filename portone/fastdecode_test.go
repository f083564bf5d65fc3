package portone

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// decodeStd is the reference: today's encoding/json decode of the envelope.
func decodeStd(body []byte) (envelope[*Payment], error) {
	var env envelope[*Payment]
	err := json.Unmarshal(body, &env)
	return env, err
}

// checkFast runs the fast path on body and fails t if it handled body
// with a result encoding/json would not produce, or touched env when it
// did not handle body. It reports whether the fast path handled body.
func checkFast(t testing.TB, body []byte) bool {
	t.Helper()
	got, handled := decodeFast[*Payment](body)
	want, err := decodeStd(body)
	if !handled {
		if !reflect.DeepEqual(got, envelope[*Payment]{}) {
			t.Fatalf("not handled, but the envelope was written: %#v\ninput: %q", got, body)
		}
		return false
	}
	if err != nil {
		t.Fatalf("fast path handled an input encoding/json refuses (%v)\ninput: %q", err, body)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast path and encoding/json differ\ninput: %q\nfast: %s\njson: %s", body, dump(got), dump(want))
	}
	return true
}

// dump shows an envelope with its pointers followed.
func dump(env envelope[*Payment]) string {
	msg := "<nil>"
	if env.Message != nil {
		msg = fmt.Sprintf("%q", *env.Message)
	}
	if env.Response == nil {
		return fmt.Sprintf("code=%d message=%s response=<nil>", env.Code, msg)
	}
	p := *env.Response
	ct := "<nil>"
	if p.CardType != nil {
		ct = fmt.Sprint(*p.CardType)
	}
	return fmt.Sprintf("code=%d message=%s card_type=%s promotion=%+v response=%#v", env.Code, msg, ct, p.Promotion, p)
}

// jsonFixtures returns every JSON answer on file: this package's fixtures
// and the emulator's golden answers.
func jsonFixtures(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, pattern := range []string{"testdata/*.json", "emulator/testdata/golden/*.json"} {
		names, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = b
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixtures")
	}
	return out
}

// TestFastDecodeFixtures checks the fast path against encoding/json on
// every answer on file, and that it does handle each one encoding/json
// decodes: otherwise the optimisation would silently never run.
func TestFastDecodeFixtures(t *testing.T) {
	t.Parallel()
	payments := 0
	for name, body := range jsonFixtures(t) {
		env, err := decodeStd(body)
		handled := checkFast(t, body)
		if err == nil && !handled {
			t.Errorf("%s: not handled", name)
		}
		if handled && env.Response != nil && env.Response.ImpUID != "" {
			payments++
		}
	}
	if payments < 10 {
		t.Errorf("only %d fixtures are payments", payments)
	}
}

// TestFastDecodeReshaped decodes each payment fixture re-indented, with
// its keys reversed and with unknown keys added: all of it is handled.
func TestFastDecodeReshaped(t *testing.T) {
	t.Parallel()
	for name, body := range jsonFixtures(t) {
		if env, err := decodeStd(body); err != nil || env.Response == nil || env.Response.ImpUID == "" {
			continue // not a payment
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, body, " \r\n", "\t "); err != nil {
			t.Fatal(err)
		}
		spaced := " \t\r\n" + indented.String() + " \t\r\n"
		for what, b := range map[string]string{
			"indented": spaced,
			"reversed": reversedKeys(t, body),
			"unknown keys": strings.Replace(strings.Replace(string(body),
				`"response":{`, `"response":{"zz":{"a":[1,-2.5e+3,true,false,null,"\u00e9\"\\"],"b":{}},"yy":[],`, 1),
				`{"code":`, `{"extra":[[[]]],"code":`, 1),
		} {
			if !checkFast(t, []byte(b)) {
				t.Errorf("%s %s: not handled", name, what)
			}
		}
	}
}

// reversedKeys writes body's envelope and payment with the keys in
// reverse order.
func reversedKeys(t *testing.T, body []byte) string {
	var env struct {
		Code     json.RawMessage
		Message  json.RawMessage
		Response json.RawMessage
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(env.Response))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var members []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		kb, _ := json.Marshal(k)
		members = append([]string{string(kb) + ":" + string(v)}, members...)
	}
	return fmt.Sprintf(`{"response":{%s},"message":%s,"code":%s}`, strings.Join(members, ","), env.Message, env.Code)
}

// The expected outcomes of an edge case. Either way, checkFast also
// checks that a handled input decodes as with encoding/json.
const (
	handled  = "handled"
	declined = "declined"
)

// env wraps payment members in a success envelope.
func env(members string) string {
	return `{"code":0,"message":null,"response":{` + members + `}}`
}

func TestFastDecodeEdgeCases(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		want, body string
	}{
		// Envelopes.
		{handled, `{}`},
		{handled, ` { } `},
		{handled, `{"code":0,"message":null,"response":null}`},
		{handled, `{"code":-1,"message":"\uc874\uc7ac\ud558\uc9c0 \uc54a\ub294 \uacb0\uc81c","response":null}`},
		{handled, `{"code":1,"message":"plain","response":{}}`},
		{handled, `{"code":-0,"message":"","response":{}}`},
		{handled, `{"code":9223372036854775807}`},
		{handled, `{"code":-9223372036854775808}`},
		{declined, `{"code":9223372036854775808}`},
		{declined, `{"code":-9223372036854775809}`},
		{declined, `{"code":99999999999999999999}`},
		{declined, `{"code":1.0}`},
		{declined, `{"code":1e3}`},
		{declined, `{"code":"0"}`},
		{declined, `{"code":null}`},
		{declined, `{"code":true}`},
		{declined, `{"message":1}`},
		{declined, `{"message":{}}`},
		{handled, `{"message":"a\"b\\c\/d\b\f\n\r\t"}`},
		{handled, `{"message":"\ud83d\ude00 pair"}`},
		{handled, `{"message":"\ud800 lone high"}`},
		{handled, `{"message":"\udc00 lone low"}`},
		{handled, `{"message":"\ud800\u0041 high then letter"}`},
		{declined, "{\"message\":\"bad \xff utf8\"}"},
		{declined, "{\"message\":\"bad \xff with \\n escape\"}"},
		{handled, "{\"message\":\"카드\"}"},
		{declined, `{"response":[]}`},
		{declined, `{"response":"x"}`},
		{declined, `{"response":1}`},
		{declined, `{"response":true}`},
		{declined, `null`},
		{declined, `[]`},
		{declined, `""`},
		{declined, ``},
		{declined, `   `},
		{declined, "\xef\xbb\xbf{}"}, // byte order mark
		{declined, `{"code":0}x`},
		{declined, `{"code":0}{}`},
		{declined, `{"code":0},`},
		{declined, `{"code":0`},
		{declined, `{"code":0,}`},
		{declined, `{,"code":0}`},
		{declined, `{"code" 0}`},
		{declined, `{"code":0 "message":null}`},
		{declined, `{'code':0}`},
		{declined, `{code:0}`},
		// Keys.
		{declined, `{"code":0,"code":1}`},
		{declined, `{"response":{},"response":null}`},
		{declined, env(`"amount":1,"amount":2`)},
		{declined, env(`"imp_uid":"a","imp_uid":"a"`)},
		{declined, `{"Code":1}`},
		{declined, `{"RESPONSE":{}}`},
		{declined, env(`"Amount":1`)},
		{declined, env(`"IMP_UID":"imp_1"`)},
		{declined, env(`"imp\u005fuid":"imp_1"`)},
		{declined, env(`"\u0061mount":1`)},
		{declined, env(`"ſtatus":"paid"`)},      // folds to STATUS
		{declined, env(`"bank_\u212aode":"x"`)}, // Kelvin sign folds to K
		{declined, env(`"ünknown":1`)},
		{declined, env("\"bad\xffkey\":1")},
		{declined, env("\"tab\tkey\":1")},
		{handled, env(`"unknown":1`)},
		{handled, env(`"amount_x":1,"x_amount":2,"":3,"AMOUNT_":4`)},
		{handled, env(`"a_very_long_unknown_key_beyond_any_field_name_length_at_all":1`)},
		// Unknown values are validated.
		{handled, env(`"x":{"a":[1,2,{"b":null}],"c":"\u0041\ud83d\ude00","d":-0.5E-7,"e":[],"f":{}}`)},
		{handled, env(`"x":"\ud800","y":"\uDEAD","z":"\uABCD"`)},
		{handled, env("\"x\":\"bad \xff utf8 is skipped\"")},
		{handled, env(`"x":` + deep(maxSkipDepth))},
		{declined, env(`"x":` + deep(maxSkipDepth+1))},
		{declined, env(`"x":` + deep(20000))},
		{declined, env(`"x":[1,]`)},
		{declined, env(`"x":[,1]`)},
		{declined, env(`"x":[1 2]`)},
		{declined, env(`"x":{"a" 1}`)},
		{declined, env(`"x":{"a":1,}`)},
		{declined, env(`"x":{a:1}`)},
		{declined, env(`"x":{1:1}`)},
		{declined, env(`"x":01`)},
		{declined, env(`"x":-01`)},
		{declined, env(`"x":1.`)},
		{declined, env(`"x":.5`)},
		{declined, env(`"x":-`)},
		{declined, env(`"x":+1`)},
		{declined, env(`"x":1e`)},
		{declined, env(`"x":1e+`)},
		{declined, env(`"x":0x10`)},
		{declined, env(`"x":NaN`)},
		{declined, env(`"x":Infinity`)},
		{declined, env(`"x":"\x"`)},
		{declined, env(`"x":"\u12"`)},
		{declined, env(`"x":"\u12g4"`)},
		{declined, env(`"x":"\'"`)},
		{declined, env("\"x\":\"ctrl\x01\"")},
		{declined, env("\"x\":\"new\nline\"")},
		{declined, env("\"x\":\"unit \x1f separator\"")},
		{handled, env("\"x\":\"delete \x7f is text\"")},
		{declined, env(`"x":tru`)},
		{declined, env(`"x":nul`)},
		{declined, env(`"x":nullx`)},
		{declined, env(`"x":truefalse`)},
		{declined, env(`"x":True`)},
		{declined, env(`"x"`)},
		{declined, env(`"x":`)},
		// Numbers into the int, *int and Amount fields.
		{handled, env(`"card_quota":-0`)},
		{handled, env(`"card_quota":12`)},
		{handled, env(`"card_quota":-12`)},
		{declined, env(`"card_quota":1.0`)},
		{declined, env(`"card_quota":1e3`)},
		{declined, env(`"card_quota":1E0`)},
		{declined, env(`"card_quota":99999999999999999999999`)},
		{declined, env(`"card_quota":"3"`)},
		{declined, env(`"card_quota":true`)},
		{handled, env(`"card_type":0`)},
		{handled, env(`"card_type":null`)},
		{declined, env(`"card_type":0.0`)},
		{declined, env(`"card_type":"0"`)},
		{handled, env(`"amount":1e3`)},
		{handled, env(`"amount":1000.0`)},
		{handled, env(`"amount":-0`)},
		{handled, env(`"amount":"1000"`)},
		{handled, env(`"amount":10.5`)},
		{declined, env(`"amount":1.00001`)},
		{declined, env(`"amount":99999999999999999999`)},
		{declined, env(`"amount":true`)},
		{declined, env(`"amount":{}`)},
		{handled, env(`"paid_at":1.7e9`)},
		{handled, env(`"paid_at":"1700000000"`)},
		{declined, env(`"paid_at":1.5`)},
		// Strings.
		{handled, env(`"imp_uid":"imp\/1","merchant_uid":"\u00e9\ud83d\ude00"`)},
		{handled, env(`"status":"\ud800"`)},
		{declined, env("\"imp_uid\":\"bad\xff\"")},
		{declined, env(`"imp_uid":1`)},
		{declined, env(`"imp_uid":{}`)},
		{declined, env(`"status":false`)},
		{handled, env(`"name":"\ud800","buyer_name":"a\/b","custom_data":"{\"a\":1}"`)},
		{handled, env("\"name\":\"bad \xff in a NullString\"")},
		{declined, env(`"name":1`)},
		{declined, env(`"name":[]`)},
		// Bools.
		{handled, env(`"escrow":true,"sandbox":false,"cash_receipt_issued":null`)},
		{declined, env(`"escrow":"true"`)},
		{declined, env(`"escrow":1`)},
		// Slices, pointers and raw JSON.
		{handled, env(`"cancel_history":[],"cancel_receipt_urls":[ ],"deposit_history":[` + "\n" + `]`)},
		{handled, env(`"cancel_history":null,"cancel_receipt_urls":null,"deposit_history":null,"promotion":null`)},
		{handled, env(`"cancel_history":[{"pg_tid":"t","amount":1,"cancelled_at":2,"reason":"r","receipt_url":null}]`)},
		{handled, env(`"cancel_receipt_urls":["a","\u00e9"],"deposit_history":[{"pg_tid":"t","amount":5,"depositor_name":"n","deposited_at":3}]`)},
		{handled, env(`"promotion":{"id":"p","discount":1000}`)},
		{handled, env(`"promotion":{}`)},
		{declined, env(`"promotion":[]`)},
		{declined, env(`"promotion":1`)},
		{declined, env(`"cancel_history":{}`)},
		{declined, env(`"cancel_history":[1]`)},
		{declined, env(`"cancel_receipt_urls":[1]`)},
		{handled, env(`"extension":null`)},
		{handled, env(`"extension":{ "a" : [1, 2] }`)},
		{handled, env(`"extension":"x"`)},
		// Nulls for fields of every kind.
		{handled, env(`"currency":null,"imp_uid":null,"status":null,"card_quota":null,"escrow":null,"amount":null,"paid_at":null,"name":null`)},
	} {
		got := checkFast(t, []byte(tc.body))
		if got != (tc.want == handled) {
			t.Errorf("%q: handled = %v, want %s", tc.body, got, tc.want)
		}
	}
}

// fieldValues are JSON values of every type and shape, to try in every
// field of Payment.
var fieldValues = []string{
	`null`, `0`, `-0`, `1`, `-1`, `12`, `1.0`, `1e3`, `-2.5E-3`, `10.5`, `99999999999999999999`, `9223372036854775807`,
	`""`, `"x"`, `"1000"`, `"\u00e9"`, `"\ud800"`, `"\ud83d\ude00"`, `"a\/b"`, "\"bad\xff\"", `"null"`,
	`true`, `false`, `[]`, `[1]`, `["a"]`, `[null]`, `{}`, `{"a":1}`, `[{}]`, `[{"pg_tid":"t","amount":1}]`,
	`{"id":"p","discount":1}`, `{"discount":"x"}`,
}

// TestFastDecodeEveryFieldKind tries every value of fieldValues, with and
// without space around, in every field of Payment.
func TestFastDecodeEveryFieldKind(t *testing.T) {
	t.Parallel()
	n := 0
	for _, f := range paymentFields.list {
		for _, v := range fieldValues {
			for _, body := range []string{env(`"` + f.name + `":` + v), env(` "` + f.name + "\"\t:\n" + v + " ")} {
				if checkFast(t, []byte(body)) {
					n++
				}
			}
		}
		if !checkFast(t, []byte(env(`"`+f.name+`":null`))) {
			t.Errorf("%s: null not handled", f.name)
		}
	}
	t.Logf("%d of %d handled", n, 2*len(paymentFields.list)*len(fieldValues))
}

// TestFastDecodeNestedFieldKinds tries every value of fieldValues in
// every field of the structs a Payment holds.
func TestFastDecodeNestedFieldKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		names []string
		wrap  func(members string) string
	}{
		{tableNames(cancellationFields), func(m string) string { return env(`"cancel_history":[{` + m + `}]`) }},
		{tableNames(depositFields), func(m string) string { return env(`"deposit_history":[{"pg_tid":"t"},{` + m + `}]`) }},
		{tableNames(promotionFields), func(m string) string { return env(`"promotion":{` + m + `}`) }},
	} {
		for _, name := range tc.names {
			if !checkFast(t, []byte(tc.wrap(`"`+name+`":null`))) {
				t.Errorf("%s: null not handled", name)
			}
			for _, v := range fieldValues {
				checkFast(t, []byte(tc.wrap(`"`+name+`":`+v)))
				checkFast(t, []byte(tc.wrap(`"`+name+`":`+v+`,"`+name+`":`+v)))
				checkFast(t, []byte(tc.wrap(`"`+strings.ToUpper(name)+`":`+v)))
				checkFast(t, []byte(tc.wrap(`"other":`+v+`,"`+name+`":`+v)))
			}
		}
	}
	for _, tc := range []struct {
		want, body string
	}{
		{handled, env(`"cancel_history":[null,{},{"other":[{}]}]`)},
		{handled, env(`"cancel_receipt_urls":[null,"","a\/b"]`)},
		{handled, env(`"deposit_history":[]`)},
		{declined, env(`"cancel_history":[{"Reason":"x"}]`)},
		{declined, env(`"cancel_history":[{"reason":"x","reason":"y"}]`)},
		{declined, env(`"cancel_history":[{"amount":"x"}]`)},
		{declined, env(`"cancel_history":[{}],`)},
		{declined, env(`"cancel_history":[{},]`)},
		{declined, env(`"cancel_history":[{}`)},
		{declined, env(`"promotion":{"ID":"p"}`)},
		{declined, env(`"promotion":{"id":1}`)},
	} {
		if got := checkFast(t, []byte(tc.body)); got != (tc.want == handled) {
			t.Errorf("%q: handled = %v, want %s", tc.body, got, tc.want)
		}
	}
}

func tableNames[T any](fs *structFields[T]) []string {
	var names []string
	for _, f := range fs.list {
		names = append(names, f.name)
	}
	return names
}

// stringTokens are JSON string tokens and other values, for the unquoting
// tests.
var stringTokens = []string{
	`""`, `"plain"`, `"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"a\u0000b"`, `"\u001f"`, `"\u00e9"`, `"\u00E9"`,
	`"\uc8fc\ubb38\uc790\uba85"`, `"https:\/\/admin8.kcp.co.kr\/assist"`, `"\ud83d\ude00"`, `"x\uD83D\uDE00y"`,
	`"\ud800"`, `"\udc00"`, `"\ud800\ud800"`, `"\ud800\u0041"`, `"\ude00\ud83d"`, `"\ud83d\ude00\ud800"`, `"\ud800x"`,
	`"\ufffd"`, `"\uffff"`, `"\u2028"`, "\"카드 \\u00e9\"", "\"bad \xff\\n\"", "\"\xed\xa0\x80\\n\"", `"\x"`, `"\u12"`,
	`"unterminated`, `"a" `, ` "a"`, `"a""b"`, `null`, `1`, `{}`, `"`, ``,
}

// TestUnquote checks unquoteString against encoding/json, and that it
// handles the escapes PortOne writes.
func TestUnquote(t *testing.T) {
	t.Parallel()
	for _, tok := range stringTokens {
		checkUnquote(t, []byte(tok))
	}
	for _, tok := range []string{`"\uc8fc\ubb38"`, `"https:\/\/x"`, `"\ud83d\ude00"`, `"\"\\\/\b\f\n\r\t"`, `"\u0041"`} {
		if _, ok := unquoteString([]byte(tok)); !ok {
			t.Errorf("%s: not handled", tok)
		}
	}
}

// checkUnquote fails t if unquoteString or NullString.UnmarshalJSON
// decode b other than encoding/json does.
func checkUnquote(t testing.TB, b []byte) {
	t.Helper()
	var want string
	err := json.Unmarshal(b, &want)
	if got, ok := unquoteString(b); ok && (err != nil || got != want) {
		t.Fatalf("unquoteString(%q) = %q; encoding/json: %q, %v", b, got, want, err)
	}
	if !json.Valid(b) || len(bytes.TrimSpace(b)) != len(b) {
		return // encoding/json gives UnmarshalJSON exactly one JSON value
	}
	var ns NullString
	nsErr := ns.UnmarshalJSON(b)
	var ptr *string
	ptrErr := json.Unmarshal(b, &ptr)
	if (nsErr == nil) != (ptrErr == nil) || nsErr == nil && (ns.Valid != (ptr != nil) || ptr != nil && ns.String != *ptr) {
		t.Fatalf("NullString(%q) = %+v, %v; encoding/json: %v, %v", b, ns, nsErr, ptr, ptrErr)
	}
}

// FuzzUnquote checks unquoteString and NullString against encoding/json.
func FuzzUnquote(f *testing.F) {
	for _, tok := range stringTokens {
		f.Add([]byte(tok))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkUnquote(t, b)
	})
}

// TestFastDecodeTruncated decodes every prefix of a payment: none is
// valid JSON, so none may be handled.
func TestFastDecodeTruncated(t *testing.T) {
	t.Parallel()
	body := bytes.TrimSpace(fixture(t, "payment_cancelled_kcp.json"))
	for i := range len(body) {
		if checkFast(t, body[:i]) {
			t.Errorf("prefix of %d bytes handled", i)
		}
	}
}

// TestFastDecodeCoversStructs checks each table against its type: a
// field missing from a table would be skipped as an unknown key.
func TestFastDecodeCoversStructs(t *testing.T) {
	t.Parallel()
	checkTable(t, envelopeFields)
	checkTable(t, paymentFields)
	checkTable(t, cancellationFields)
	checkTable(t, depositFields)
	checkTable(t, promotionFields)
}

func checkTable[T any](t *testing.T, fs *structFields[T]) {
	t.Helper()
	typ := reflect.TypeFor[T]()
	var got []string
	for i, f := range fs.list {
		got = append(got, f.name)
		if fs.index[f.name] != i {
			t.Errorf("%v.%s: index %d, want %d", typ, f.name, fs.index[f.name], i)
		}
		// unknownMember relies on both.
		if len(f.name) > maxFieldName || f.name != strings.ToLower(f.name) {
			t.Errorf("%v.%s: longer than %d or not lower case", typ, f.name, maxFieldName)
		}
	}
	if want := jsonNames(typ); !reflect.DeepEqual(got, want) {
		t.Errorf("table of %v = %q\nstruct has %q", typ, got, want)
	}
}

// jsonNames returns the json names of the fields of a struct type.
func jsonNames(typ reflect.Type) []string {
	var names []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || f.Anonymous || name == "-" || name == "" {
			panic("jsonNames: field " + f.Name + " needs thought")
		}
		names = append(names, name)
	}
	return names
}

// decodeBefore is decode as it was before the fast path: the fast path
// must not change what decode returns for any input.
func decodeBefore(r *call, resp *response, out **Payment) error {
	ep := r.endpoint()
	var env envelope[*Payment]
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return fmt.Errorf("portone: %s: undecodable response (HTTP %d): %w", ep, resp.status, err)
	}
	if env.Code != 0 {
		msg := ""
		if env.Message != nil {
			msg = *env.Message
		}
		return &Error{HTTPStatus: resp.status, Code: env.Code, Message: msg, Endpoint: ep}
	}
	*out = env.Response
	return nil
}

// checkDecode compares decode on a 200 answer with decodeBefore.
func checkDecode(t testing.TB, body []byte) {
	t.Helper()
	r := &call{method: "GET", path: "/payments/imp_1"}
	resp := &response{status: 200, body: body}
	var got, want *Payment
	gotErr, wantErr := decode(r, resp, &got, false), decodeBefore(r, resp, &want)
	if !reflect.DeepEqual(gotErr, wantErr) {
		t.Fatalf("decode error = %v, want %v\ninput: %q", gotErr, wantErr, body)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decode = %+v, want %+v\ninput: %q", got, want, body)
	}
}

func TestDecodeUnchanged(t *testing.T) {
	t.Parallel()
	for _, body := range jsonFixtures(t) {
		checkDecode(t, body)
	}
	for _, body := range []string{
		`{"code":0,`, `{"code":0} x`, `{"code":1.5}`, `{"code":-1,"message":"no"}`, `{"code":0,"response":null}`,
		`{"code":0,"response":[]}`, env(`"Amount":1`), env(`"amount":true`), env(`"paid_at":1.5`), `null`, ``,
	} {
		checkDecode(t, []byte(body))
	}
}

// FuzzFastDecodePayment checks on arbitrary input that the fast path
// never panics and, when it handles an input, decodes it exactly as
// encoding/json does, and that decode returns what it returned before.
func FuzzFastDecodePayment(f *testing.F) {
	for _, body := range jsonFixtures(f) {
		f.Add(body)
	}
	for _, v := range fieldValues {
		f.Add([]byte(env(`"amount":` + v + `,"imp_uid":` + v + `,"card_quota":` + v + `,"x":` + v)))
	}
	f.Add([]byte(`{"code":-1,"message":"\ud800","response":null}`))
	f.Add([]byte(env(`"cancel_history":[{"pg_tid":"t","amount":1}],"promotion":{"id":"p"},"card_type":1,"escrow":true`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFast(t, body)
		checkDecode(t, body)
	})
}
