package emulator

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult/internal/fakeclock"
	"github.com/payresult/payresult/portone"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// t0 is the fixed start of every test clock: 2026-03-02 10:00:00 KST.
var t0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// newTestEmulator returns an emulator with seed 1 and a test clock.
func newTestEmulator(t testing.TB, cfg Config) (*Emulator, *fakeclock.Clock) {
	t.Helper()
	clock := fakeclock.New(t0)
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	e := New(cfg)
	t.Cleanup(func() { e.Close() })
	return e, clock
}

// apiCall is one raw HTTP request to the emulator.
type apiCall struct {
	method, path string
	header       map[string]string
	body         string // sent as JSON unless contentType says otherwise
	contentType  string
}

// serve runs c through the handler and returns the status and body.
func serve(t testing.TB, h http.Handler, c apiCall) (int, string) {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	r := httptest.NewRequest(c.method, c.path, body)
	if c.body != "" {
		ct := c.contentType
		if ct == "" {
			ct = contentTypeJSON
		}
		r.Header.Set("Content-Type", ct)
	}
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// token gets an access token through the API.
func token(t testing.TB, h http.Handler) string {
	t.Helper()
	status, body := serve(t, h, apiCall{method: "POST", path: "/users/getToken",
		body: `{"imp_key":"` + DefaultAPIKey + `","imp_secret":"` + DefaultAPISecret + `"}`})
	if status != http.StatusOK {
		t.Fatalf("getToken: status %d, body %s", status, body)
	}
	var env struct {
		Response tokenAnswer `json:"response"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("getToken body %s: %v", body, err)
	}
	return env.Response.AccessToken
}

// golden compares got with testdata/golden/name.json, or rewrites the file
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	want = bytes.TrimSuffix(want, []byte("\n"))
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file\ngot:  %s\nwant: %s", name, got, want)
	}
}

func intPtr(n int) *int { return &n }

// cardPayment is a paid KCP card payment like the one captured in the
// protocol reference (§3.7), with Korean text and a URL to exercise the
// escaping.
func cardPayment(impUID, merchantUID string, startedAt portone.Time) portone.Payment {
	return portone.Payment{
		Amount:            portone.Won(100),
		ApplyNum:          portone.NewNullString("30046339"),
		BuyerName:         portone.NewNullString("주문자명"),
		CardCode:          portone.NewNullString("381"),
		CardName:          portone.NewNullString("KB국민카드"),
		CardNumber:        portone.NewNullString("5570420000007221"),
		CardType:          intPtr(0),
		Channel:           portone.NewNullString("pc"),
		Currency:          "KRW",
		ImpUID:            impUID,
		MerchantUID:       merchantUID,
		Name:              portone.NewNullString("test 외 1건"),
		PaidAt:            startedAt + 58,
		PayMethod:         portone.PayMethodCard,
		PGID:              portone.NewNullString("A7NC2"),
		PGProvider:        portone.NewNullString("kcp"),
		PGTID:             portone.NewNullString("22895235578509"),
		ReceiptURL:        portone.NewNullString("https://admin8.kcp.co.kr/assist/bill.BillActionNew.do?cmd=card_bill&tno=22895235578509&order_no=" + impUID + "&trade_mony=100"),
		StartedAt:         startedAt,
		Status:            portone.StatusPaid,
		UserAgent:         portone.NewNullString("Mozilla/5.0 (X11; Linux x86_64)"),
		EmbPGProvider:     portone.NullString{},
		CustomData:        portone.NewNullString(`{"cart":[1,2]}`),
		BuyerEmail:        portone.NewNullString("buyer@example.com"),
		CardQuota:         0,
		CashReceiptIssued: false,
	}
}

// mustPut stores p or fails the test.
func mustPut(t testing.TB, e *Emulator, p portone.Payment) portone.Payment {
	t.Helper()
	got, err := e.Put(p)
	if err != nil {
		t.Fatalf("Put(%s): %v", p.ImpUID, err)
	}
	return got
}

// decodeEnvelope decodes a successful PortOne answer's response.
func decodeEnvelope[T any](t testing.TB, body string) T {
	t.Helper()
	var env struct {
		Code     int     `json:"code"`
		Message  *string `json:"message"`
		Response T       `json:"response"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	if env.Code != 0 || env.Message != nil {
		t.Fatalf("envelope code %d message %v, want 0 and null: %s", env.Code, env.Message, body)
	}
	return env.Response
}

// mustToken issues a token through issueToken or fails the test.
func mustToken(t testing.TB, e *Emulator) tokenAnswer {
	t.Helper()
	tok, err := e.issueToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
