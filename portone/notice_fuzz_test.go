package portone

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkFuzzedID fails when a parsed identifier is one PortOne could not
// have issued: the parsers must refuse those, not pass them on.
func checkFuzzedID(t *testing.T, field, id string, max int) {
	t.Helper()
	if id == "" {
		return
	}
	if !utf8.ValidString(id) || utf8.RuneCountInString(id) > max || strings.IndexFunc(id, unicode.IsControl) >= 0 {
		t.Fatalf("%s %q accepted: invalid UTF-8, longer than %d or with a control character", field, id, max)
	}
}

// FuzzParseRedirectValues feeds the redirect parser arbitrary query
// strings. It must never panic; it refuses with ErrInvalidNotice or
// returns identifiers PortOne could have issued; and what it returns
// parses back to itself.
func FuzzParseRedirectValues(f *testing.F) {
	for _, s := range []string{
		"imp_uid=imp_123456789012&merchant_uid=order-1&imp_success=true",
		"imp_uid=imp_1&merchant_uid=o&success=false&error_code=F400&error_msg=%EA%B2%B0%EC%A0%9C%20%EC%B7%A8%EC%86%8C",
		"merchant_uid=o&merchant_uid=p&imp_uid=imp_1",
		"imp_uid=&merchant_uid=order-1",
		"%3Fimp_uid%3Dimp_1%26merchant_uid%3Do=",
		"imp_uid=%20imp_1%20&imp_success=%20TRUE",
		"imp_success=maybe&imp_uid=x",
		"imp_uid=a%00b",
		"imp_uid=%zz&merchant_uid=%",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw) // keeps what parsed, as a request's Query does
		rd, err := ParseRedirectValues(v)
		if err != nil {
			if !errors.Is(err, ErrInvalidNotice) {
				t.Fatalf("error %v is not an ErrInvalidNotice", err)
			}
			return
		}
		if rd.ImpUID == "" && rd.MerchantUID == "" {
			t.Fatalf("accepted a redirect without imp_uid or merchant_uid: %q", raw)
		}
		checkFuzzedID(t, "imp_uid", rd.ImpUID, MaxImpUIDLen)
		checkFuzzedID(t, "merchant_uid", rd.MerchantUID, MaxMerchantUIDLen)
		if rd.ImpUID != strings.TrimSpace(rd.ImpUID) {
			t.Fatalf("imp_uid %q is not trimmed", rd.ImpUID)
		}
		if rd.Success != nil && rd.SuccessKey != "imp_success" && rd.SuccessKey != "success" {
			t.Fatalf("success flag from key %q", rd.SuccessKey)
		}
		again := url.Values{"imp_uid": {rd.ImpUID}, "merchant_uid": {rd.MerchantUID},
			"error_code": {rd.ErrorCode}, "error_msg": {rd.ErrorMsg}}
		if rd.Success != nil {
			again.Set(rd.SuccessKey, strconv.FormatBool(*rd.Success))
		}
		rd2, err := ParseRedirectValues(again)
		if err != nil {
			t.Fatalf("re-parsing %v: %v", again, err)
		}
		if rd.Success == nil {
			rd2.Success, rd2.SuccessKey = nil, rd.SuccessKey
		}
		if !sameRedirect(rd, rd2) {
			t.Fatalf("parsed %+v, re-parsed %+v", rd, rd2)
		}
	})
}

// FuzzParseWebhook feeds the webhook parser arbitrary bodies under
// arbitrary content types. It must never panic; it refuses with
// ErrInvalidNotice or returns valid identifiers and a known status; and
// the webhook it returns, sent again as JSON or as a form, parses to
// itself.
func FuzzParseWebhook(f *testing.F) {
	for name, ct := range map[string]string{
		"webhook_paid.json": "application/json", "webhook_cancelled.json": "application/json",
		"webhook_paid.form": "application/x-www-form-urlencoded", "webhook_vbank_ready.form": "application/x-www-form-urlencoded",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct, b)
	}
	for _, s := range []struct{ ct, body string }{
		{"application/json; charset=utf-8", "\xef\xbb\xbf{\"imp_uid\":\"imp_1\",\"status\":\"paid\"}"},
		{"", `{"imp_uid":123,"merchant_uid":null,"status":"ready"}`},
		{"text/plain", `[{"imp_uid":"imp_1"}]`},
		{"application/vnd.portone+json", `{"imp_uid":{"x":1}}`},
		{"multipart/form-data; boundary=x", "--x--"},
		{"application/x-www-form-urlencoded", "imp_uid=imp_1&imp_uid=imp_2&status=cancelled&cancellation_id=%00"},
		{";;", "merchant_uid=%zz"},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		w, err := ParseWebhook(ct, body)
		if err != nil {
			if !errors.Is(err, ErrInvalidNotice) {
				t.Fatalf("error %v is not an ErrInvalidNotice", err)
			}
			return
		}
		if w.ImpUID == "" && w.MerchantUID == "" {
			t.Fatalf("accepted a webhook without imp_uid or merchant_uid: %q", body)
		}
		checkFuzzedID(t, "imp_uid", w.ImpUID, MaxImpUIDLen)
		checkFuzzedID(t, "merchant_uid", w.MerchantUID, MaxMerchantUIDLen)
		checkFuzzedID(t, "cancellation_id", w.CancellationID, maxCancellationIDLen)
		if w.Status != "" && !w.Status.Valid() {
			t.Fatalf("accepted status %q", w.Status)
		}
		fields := map[string]string{"imp_uid": w.ImpUID, "merchant_uid": w.MerchantUID,
			"status": string(w.Status), "cancellation_id": w.CancellationID}
		asJSON, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{}
		for k, v := range fields {
			form.Set(k, v)
		}
		for ct, b := range map[string][]byte{"application/json": asJSON, "application/x-www-form-urlencoded": []byte(form.Encode())} {
			w2, err := ParseWebhook(ct, b)
			if err != nil {
				t.Fatalf("re-parsing %s %s: %v", ct, b, err)
			}
			if *w2 != *w {
				t.Fatalf("parsed %+v, re-parsed as %s %+v", *w, ct, *w2)
			}
		}
	})
}
