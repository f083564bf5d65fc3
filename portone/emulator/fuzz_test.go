package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// fzNoNetwork refuses every request, so that a fuzzed notice_url never
// makes the emulator call anything.
type fzNoNetwork struct{}

func (fzNoNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("fuzz: no network")
}

func fzEmulator() *Emulator {
	return New(Config{Seed: 3, HTTPClient: &http.Client{Transport: fzNoNetwork{}}})
}

// fzServe sends one request to e and returns the recorder, or nil when
// target is not a URL any client could send.
func fzServe(e *Emulator, method, target, contentType string, body []byte, token string) *httptest.ResponseRecorder {
	if _, err := url.ParseRequestURI(target); err != nil {
		return nil
	}
	req := httptest.NewRequest(method, target, strings.NewReader(string(body)))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// FuzzControlPay feeds POST /__emulator/payments arbitrary bodies. It
// must never panic or answer 5xx; a refused request leaves the ledger as
// it was; an accepted one adds exactly one payment PortOne could hold.
func FuzzControlPay(f *testing.F) {
	for _, s := range []struct{ ct, body string }{
		{"application/json", `{"merchant_uid":"m-1","amount":1000,"outcome":"paid","pg":"kcp","m_redirect_url":"https://s.example/r"}`},
		{"application/json", `{"merchant_uid":"m-2","amount":"1000.50","currency":"USD","pay_method":"vbank","outcome":"vbank_issued","vbank_due":"20260310"}`},
		{"application/x-www-form-urlencoded", "merchant_uid=m-3&amount=500&outcome=failed&notice_url[]=http://127.0.0.1:1/x&custom_data[a]=1"},
		{"text/plain", `{"merchant_uid":"m-4","amount":1,"outcome":"cancelled_by_user","pg":"tosspayments","mobile":"true"}`},
		{"", `{"merchant_uid":"` + strings.Repeat("m", 41) + `","amount":1}`},
		{"application/json", `{"merchant_uid":"m-5","amount":-1,"outcome":"refunded"}`},
		{"application/json", `{"merchant_uid":"m-6","amount":1e999,"vbank_due":"yesterday"}`},
		{"application/json", `{"merchant_uid":["a","b"],"amount":{"x":1}}`},
		{"application/json", `{"a":1}{"b":2}`},
		{"application/x-www-form-urlencoded", "%zz"},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		e := fzEmulator()
		defer e.Close()
		rec := fzServe(e, "POST", "/__emulator/payments", ct, body, "")
		var ans map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
			t.Fatalf("status %d with a body that is not JSON: %q", rec.Code, rec.Body)
		}
		ledger := e.Payments()
		switch {
		case rec.Code == http.StatusCreated:
			if len(ledger) != 1 {
				t.Fatalf("accepted, and the ledger holds %d payments", len(ledger))
			}
			p := ledger[0]
			if p.MerchantUID == "" || len(p.MerchantUID) > maxMerchantUID || p.Amount.Sign() <= 0 || !utf8.ValidString(p.ImpUID) {
				t.Fatalf("accepted a payment PortOne could not hold: merchant_uid %q, amount %s", p.MerchantUID, p.Amount)
			}
		case rec.Code == http.StatusBadRequest || rec.Code == http.StatusUnprocessableEntity:
			if len(ledger) != 0 {
				t.Fatalf("refused with %d, and the ledger holds %d payments", rec.Code, len(ledger))
			}
			if _, ok := ans["error"]; !ok {
				t.Fatalf("refused with %d without an error object: %s", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}

// fzEndpoints are the REST calls FuzzREST aims at; the fuzzed text is
// either the body or the end of the path.
var fzEndpoints = []struct {
	method, path string
	inPath       bool
}{
	{"POST", "/users/getToken", false},
	{"POST", "/payments/prepare", false},
	{"PUT", "/payments/prepare", false},
	{"POST", "/payments/cancel", false},
	{"GET", "/payments/find/", true},
	{"GET", "/payments/findAll/", true},
	{"GET", "/payments/status/", true},
	{"GET", "/payments?", true},
	{"GET", "/payments/prepare/", true},
}

// FuzzREST feeds PortOne's REST endpoints arbitrary bodies and path
// tails, with a valid token. Every answer must be PortOne's envelope
// {code, message, response} with a 2xx or 4xx status, never a panic or a
// 5xx.
func FuzzREST(f *testing.F) {
	for i, ep := range fzEndpoints {
		seed := `{"merchant_uid":"m-1","amount":1000,"imp_uid":"imp_1","checksum":1000,"imp_key":"imp_apikey"}`
		if ep.inPath {
			seed = "m-1/paid?page=1&limit=20&from=0&to=1&sorting=-started"
		}
		f.Add(uint8(i), "application/json", seed)
	}
	f.Add(uint8(1), "application/x-www-form-urlencoded", "merchant_uid=m-1&amount=1e10&currency=KRW")
	f.Add(uint8(3), "application/json", `{"imp_uid":"imp_1","amount":-5,"checksum":"x","refund_holder":"\u0000"}`)
	f.Add(uint8(7), "", "imp_uid[]=a&imp_uid[]=b&merchant_uid[]=%zz")
	f.Fuzz(func(t *testing.T, which uint8, ct, text string) {
		e := fzEmulator()
		defer e.Close()
		tok := fzServe(e, "POST", "/users/getToken", "application/json",
			[]byte(`{"imp_key":"`+DefaultAPIKey+`","imp_secret":"`+DefaultAPISecret+`"}`), "")
		var got struct {
			Response struct {
				AccessToken string `json:"access_token"`
			} `json:"response"`
		}
		if err := json.Unmarshal(tok.Body.Bytes(), &got); err != nil || got.Response.AccessToken == "" {
			t.Fatalf("getToken: %d %s", tok.Code, tok.Body)
		}
		ep := fzEndpoints[int(which)%len(fzEndpoints)]
		target, body := ep.path, []byte(text)
		if ep.inPath {
			target, body = ep.path+fzPathSafe(text), nil
		}
		rec := fzServe(e, ep.method, target, ct, body, got.Response.AccessToken)
		if rec == nil {
			return
		}
		if rec.Code == http.StatusTemporaryRedirect || rec.Code == http.StatusMovedPermanently {
			return // net/http's mux sends "//" and "/./" in a path to the cleaned path
		}
		var env struct {
			Code    *int            `json:"code"`
			Message json.RawMessage `json:"message"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Code == nil {
			t.Fatalf("%s %q: status %d, body is not PortOne's envelope: %q", ep.method, target, rec.Code, rec.Body)
		}
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("%s %q: status %d: %s", ep.method, target, rec.Code, rec.Body)
		}
	})
}

// fzPathSafe drops what cannot appear in a request line at all (a client
// could not send it), keeping everything a client can percent-encode or
// send raw.
func fzPathSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '#' || !utf8.ValidRune(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}
