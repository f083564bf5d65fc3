package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// payAnswer is the emulator's answer to POST /__emulator/payments.
type payAnswer struct {
	Payment struct {
		ImpUID      string  `json:"imp_uid"`
		MerchantUID string  `json:"merchant_uid"`
		Status      string  `json:"status"`
		FailReason  *string `json:"fail_reason"`
		VbankName   *string `json:"vbank_name"`
		VbankNum    *string `json:"vbank_num"`
		VbankHolder *string `json:"vbank_holder"`
	} `json:"payment"`
	RedirectURL string `json:"redirect_url"`
	ErrorMsg    string `json:"error_msg"`
}

// webhookDelivery is one line of GET /__emulator/webhooks.
type webhookDelivery struct {
	ImpUID     string `json:"imp_uid"`
	Status     string `json:"status"`
	Dropped    bool   `json:"dropped"`
	StatusCode int    `json:"status_code"`
	Body       string `json:"body"`
}

// createOrder registers an order through the API and fails the test if
// that does not answer 201.
func (s *served) createOrder(merchantUID string, amount int64, successURL, failURL string) {
	s.t.Helper()
	body := newOrderBody(merchantUID, amount)
	if successURL != "" {
		body["success_url"] = successURL
	}
	if failURL != "" {
		body["fail_url"] = failURL
	}
	if st := s.api("POST", "/api/orders", body, nil); st != http.StatusCreated {
		s.t.Fatalf("creating order %s: status %d, want 201", merchantUID, st)
	}
}

// pay completes a payment in the emulator's window without a browser,
// with m_redirect_url and notice_url pointing at this server, and returns
// the emulator's answer and its status.
func (s *served) pay(merchantUID string, amount int64, pg, payMethod, outcome string) (payAnswer, int) {
	s.t.Helper()
	req := map[string]any{
		"merchant_uid": merchantUID, "name": "테스트 상품", "amount": amount, "pg": pg, "pay_method": payMethod,
		"buyer_tel": "010-1234-5678", "outcome": outcome,
		"m_redirect_url": s.url + "/portone/redirect", "notice_url": s.url + "/portone/webhook",
	}
	b, _ := json.Marshal(req)
	res, body := s.do("POST", "/sandbox/__emulator/payments", "application/json", bytes.NewReader(b), nil)
	var a payAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		s.t.Fatalf("emulator answer %d is not JSON: %s", res.StatusCode, body)
	}
	return a, res.StatusCode
}

// setFaults replaces the emulator's faults.
func (s *served) setFaults(faults string) {
	s.t.Helper()
	res, body := s.do("PUT", "/sandbox/__emulator/faults", "application/json", strings.NewReader(faults), nil)
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("setting faults %s: %d %s", faults, res.StatusCode, body)
	}
}

// follow plays the buyer's browser arriving at the redirect URL.
func (s *served) follow(redirectURL string) (*http.Response, string) {
	s.t.Helper()
	if !strings.HasPrefix(redirectURL, s.url+"/portone/redirect") {
		s.t.Fatalf("redirect URL %q does not point at this server's /portone/redirect", redirectURL)
	}
	return s.get(s.trimURL(redirectURL))
}

// order reads an order with its events.
func (s *served) order(merchantUID string) orderDetailView {
	s.t.Helper()
	var d orderDetailView
	if st := s.api("GET", "/api/orders/"+merchantUID, nil, &d); st != http.StatusOK {
		s.t.Fatalf("GET order %s: status %d", merchantUID, st)
	}
	return d
}

// webhooks returns the emulator's webhook deliveries for a payment.
func (s *served) webhooks(impUID string) []webhookDelivery {
	s.t.Helper()
	var all struct {
		Webhooks []webhookDelivery `json:"webhooks"`
	}
	_, body := s.do("GET", "/sandbox/__emulator/webhooks", "", nil, nil)
	if err := json.Unmarshal(body, &all); err != nil {
		s.t.Fatalf("webhook log: %v", err)
	}
	var out []webhookDelivery
	for _, d := range all.Webhooks {
		if d.ImpUID == impUID {
			out = append(out, d)
		}
	}
	return out
}

// waitWebhookAnswered waits until the emulator has delivered a webhook for
// impUID and got an answer.
func (s *served) waitWebhookAnswered(impUID string) webhookDelivery {
	s.t.Helper()
	var got webhookDelivery
	eventually(s.t, 10*time.Second, "webhook for "+impUID+" answered", func() bool {
		for _, d := range s.webhooks(impUID) {
			if d.StatusCode != 0 {
				got = d
				return true
			}
		}
		return false
	})
	return got
}

// eventTypes lists the types of an order's events.
func eventTypes(d orderDetailView) []string {
	var out []string
	for _, e := range d.Events {
		out = append(out, e.Type)
	}
	return out
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}
