package payresult

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

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
