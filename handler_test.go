package payresult

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSignedResultRoundTrip(t *testing.T) {
	key := []byte("app-secret")
	now := time.Unix(1_800_000_000, 0)
	o := &Order{MerchantUID: "order.2026:1", Status: StatusPaid}
	raw, err := SignedResultURL("https://shop.example/paid?from=pay&status=x", key, o, now)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("from") != "pay" || q.Get("status") != "paid" {
		t.Errorf("query %v: want the app's own from=pay kept and status=paid", q)
	}
	tamper := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range q {
			c[kk] = append([]string(nil), vv...)
		}
		c.Set(k, v)
		return c
	}
	tests := []struct {
		name  string
		key   []byte
		q     url.Values
		now   time.Time
		want  error // nil for success
		wantS Status
	}{
		{"valid", key, q, now, nil, StatusPaid},
		{"valid a little later", key, q, now.Add(ResultTolerance - time.Second), nil, StatusPaid},
		{"status changed", key, tamper("status", "failed"), now, ErrResultSignature, ""},
		{"order changed", key, tamper("merchant_uid", "order.2026:2"), now, ErrResultSignature, ""},
		{"timestamp changed", key, tamper("timestamp", "1800000001"), now, ErrResultSignature, ""},
		{"other key", []byte("other"), q, now, ErrResultSignature, ""},
		{"too old", key, q, now.Add(ResultTolerance + time.Second), ErrResultExpired, ""},
		{"no signature", key, tamper("signature", ""), now, ErrResultParams, ""},
		{"signature not hex", key, tamper("signature", "zz"), now, ErrResultParams, ""},
		{"timestamp not a number", key, tamper("timestamp", "soon"), now, ErrResultParams, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyResultSignature(tt.key, tt.q, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("VerifyResultSignature: error %v, want %v", err, tt.want)
			}
			if err == nil && (got.Status != tt.wantS || got.MerchantUID != o.MerchantUID || !got.Timestamp.Equal(now)) {
				t.Errorf("got %+v, want %s %s at %v", got, o.MerchantUID, tt.wantS, now)
			}
		})
	}
}

func TestViewOf(t *testing.T) {
	order := func(s Status) *Order {
		return &Order{MerchantUID: "o1", Status: s, FailReason: "카드 한도 초과", SuccessURL: "https://s/ok", FailURL: "https://s/fail"}
	}
	tests := []struct {
		name     string
		o        *Order
		err      error
		errorMsg string
		page     ResultPage
		status   int
		appURL   string
		message  string
	}{
		{"paid", order(StatusPaid), nil, "", PagePaid, 200, "https://s/ok", ""},
		{"vbank", order(StatusVbankIssued), nil, "", PageVbankIssued, 200, "https://s/ok", ""},
		{"refunded", order(StatusRefunded), nil, "", PageRefunded, 200, "https://s/ok", ""},
		{"failed shows PortOne's reason", order(StatusFailed), nil, "사용자 취소", PageFailed, 200, "https://s/fail", "카드 한도 초과"},
		{"forged", order(StatusForged), nil, "", PageRefused, 403, "https://s/fail", ""},
		{"expired", order(StatusExpired), nil, "", PageExpired, 200, "https://s/fail", ""},
		{"window never opened", order(StatusPending), nil, "PG 설정 오류", PageFailed, 200, "https://s/fail", "PG 설정 오류"},
		{"pending without message", order(StatusPending), nil, "", PageConfirming, 200, "", ""},
		{"PortOne unreachable", nil, Errorf(KindTransient, "down"), "", PageConfirming, 200, "", ""},
		{"unknown order", nil, Errorf(KindNotFound, "no order"), "", PageNotFound, 404, "", ""},
		{"bad notice", nil, Errorf(KindInvalid, "bad"), "", PageInvalid, 400, "", ""},
		{"payment of another order", order(StatusPending), Errorf(KindMismatch, "foreign"), "", PageRefused, 403, "", ""},
		{"bug", nil, errors.New("boom"), "", PageError, 500, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ViewOf("o1", tt.o, tt.err, tt.errorMsg)
			if v.Page != tt.page || v.HTTPStatus != tt.status || v.AppURL() != tt.appURL || v.Message != tt.message {
				t.Errorf("ViewOf = page %s, status %d, app URL %q, message %q; want %s, %d, %q, %q",
					v.Page, v.HTTPStatus, v.AppURL(), v.Message, tt.page, tt.status, tt.appURL, tt.message)
			}
		})
	}
}

func TestWebhookStatus(t *testing.T) {
	tests := []struct {
		kind ErrorKind
		want int
	}{
		{KindTransient, http.StatusServiceUnavailable},
		{KindUnauthorized, http.StatusServiceUnavailable},
		{KindNotFound, http.StatusNotFound},
		{KindInvalid, http.StatusBadRequest},
		{KindMismatch, http.StatusBadRequest},
		{KindConflict, http.StatusBadRequest},
		{KindInternal, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := webhookStatus(tt.kind); got != tt.want {
			t.Errorf("webhookStatus(%s) = %d, want %d", tt.kind, got, tt.want)
		}
		if got := webhookStatus(tt.kind); (got >= 500) != (tt.kind == KindTransient || tt.kind == KindUnauthorized || tt.kind == KindInternal) {
			t.Errorf("webhookStatus(%s) = %d: only failures a retry can fix may be 5xx", tt.kind, got)
		}
	}
}

func TestPlainPageEscapes(t *testing.T) {
	rec := &strings.Builder{}
	w := &recorder{h: http.Header{}, b: rec}
	renderPlain(w, nil, &RedirectView{Page: PageFailed, HTTPStatus: 200, Message: `<script>alert(1)</script>`})
	if strings.Contains(rec.String(), "<script>") {
		t.Errorf("error_msg reached the page unescaped:\n%s", rec)
	}
}

type recorder struct {
	h http.Header
	b *strings.Builder
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(p []byte) (int, error) { return r.b.Write(p) }
func (r *recorder) WriteHeader(int)             {}
