package payresult_test

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

// The example from the Standard Webhooks specification, so that receivers
// using any Standard Webhooks library accept what payresult signs.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specUnix   = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignWebhookMatchesSpecification(t *testing.T) {
	got := payresult.SignWebhook(specSecret, specID, time.Unix(specUnix, 0), []byte(specBody))
	if got != specSig {
		t.Errorf("SignWebhook = %q, want %q", got, specSig)
	}
}

func webhookHeaders(id string, ts time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set(payresult.HeaderWebhookID, id)
	h.Set(payresult.HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(payresult.HeaderWebhookSignature, sig)
	return h
}

func TestVerifyWebhook(t *testing.T) {
	const secret = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM="
	sent := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"order.paid","data":{"merchant_uid":"order-1"}}`)
	good := payresult.SignWebhook(secret, "evt_1", sent, body)
	other := payresult.SignWebhook("whsec_b3RoZXIta2V5", "evt_1", sent, body)

	tests := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, webhookHeaders("evt_1", sent, good), body, sent, nil},
		{"valid near the end of the tolerance", secret, webhookHeaders("evt_1", sent, good), body, sent.Add(5 * time.Minute), nil},
		{"valid with a clock slightly behind", secret, webhookHeaders("evt_1", sent, good), body, sent.Add(-5 * time.Minute), nil},
		{"one of several signatures matches", secret, webhookHeaders("evt_1", sent, other+" v2,abc "+good), body, sent, nil},
		{"tampered body", secret, webhookHeaders("evt_1", sent, good), []byte(`{"type":"order.paid","data":{"merchant_uid":"order-2"}}`), sent, payresult.ErrWebhookSignature},
		{"tampered id", secret, webhookHeaders("evt_2", sent, good), body, sent, payresult.ErrWebhookSignature},
		{"tampered timestamp", secret, webhookHeaders("evt_1", sent.Add(time.Second), good), body, sent, payresult.ErrWebhookSignature},
		{"wrong secret", secret, webhookHeaders("evt_1", sent, other), body, sent, payresult.ErrWebhookSignature},
		{"signature without version", secret, webhookHeaders("evt_1", sent, good[3:]), body, sent, payresult.ErrWebhookSignature},
		{"signature of another version", secret, webhookHeaders("evt_1", sent, "v1a"+good[2:]), body, sent, payresult.ErrWebhookSignature},
		{"stale", secret, webhookHeaders("evt_1", sent, good), body, sent.Add(5*time.Minute + time.Second), payresult.ErrWebhookTimestamp},
		{"from the future", secret, webhookHeaders("evt_1", sent, good), body, sent.Add(-5*time.Minute - time.Second), payresult.ErrWebhookTimestamp},
		{"no headers", secret, http.Header{}, body, sent, payresult.ErrWebhookHeaders},
		{"timestamp not a number", secret, func() http.Header {
			h := webhookHeaders("evt_1", sent, good)
			h.Set(payresult.HeaderWebhookTimestamp, "yesterday")
			return h
		}(), body, sent, payresult.ErrWebhookHeaders},
		{"empty secret", "", webhookHeaders("evt_1", sent, good), body, sent, payresult.ErrWebhookSecret},
		{"whsec_ secret that is not base64", "whsec_!!!", webhookHeaders("evt_1", sent, good), body, sent, payresult.ErrWebhookSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := payresult.VerifyWebhook(tt.secret, tt.header, tt.body, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("VerifyWebhook = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWebhookKey(t *testing.T) {
	tests := []struct {
		name    string
		secret  string
		want    string
		wantErr bool
	}{
		{"whsec_ prefix is base64", "whsec_aGVsbG8=", "hello", false},
		{"base64 without the prefix", "aGVsbG8=", "hello", false},
		{"text that is not base64", "my-events-secret!", "", true},
		{"base64 without its padding", "aGVsbG8", "", true},
		{"empty", "", "", true},
		{"whsec_ with nothing after", "whsec_", "", true},
		{"whsec_ with bad base64", "whsec_not base64", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := payresult.WebhookKey(tt.secret)
			if (err != nil) != tt.wantErr {
				t.Fatalf("WebhookKey(%q) error = %v, want error %v", tt.secret, err, tt.wantErr)
			}
			if err != nil && (!errors.Is(err, payresult.ErrWebhookSecret) || !strings.Contains(err.Error(), payresult.MakeWebhookSecret)) {
				t.Errorf("WebhookKey(%q) error = %v; want ErrWebhookSecret showing how to make a secret", tt.secret, err)
			}
			if string(got) != tt.want {
				t.Errorf("WebhookKey(%q) = %q, want %q", tt.secret, got, tt.want)
			}
		})
	}
}

func TestSignWebhookInvalidSecret(t *testing.T) {
	if got := payresult.SignWebhook("whsec_!!!", "evt_1", time.Unix(1, 0), nil); got != "" {
		t.Errorf("SignWebhook with an invalid secret = %q, want empty", got)
	}
}

// An app receiving payresult's events checks each request before acting
// on it, and de-duplicates on the webhook-id.
func ExampleVerifyWebhook() {
	const secret = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM="
	body := []byte(`{"id":"evt_1","type":"order.paid"}`)
	sent := time.Unix(1772366400, 0)

	// What payresult's delivery worker sends.
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	h.Set("webhook-timestamp", strconv.FormatInt(sent.Unix(), 10))
	h.Set("webhook-signature", payresult.SignWebhook(secret, "evt_1", sent, body))

	// In the app's handler, with now = time.Now().
	fmt.Println(payresult.VerifyWebhook(secret, h, body, sent.Add(time.Minute)))
	fmt.Println(payresult.VerifyWebhook(secret, h, []byte(`{"id":"evt_1","type":"order.refunded"}`), sent))
	fmt.Println(payresult.VerifyWebhook(secret, h, body, sent.Add(time.Hour)))
	// Output:
	// <nil>
	// payresult: webhook signature does not match
	// payresult: webhook timestamp outside tolerance: timestamp is 1h0m0s away from now
}
