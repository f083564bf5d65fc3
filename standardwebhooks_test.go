package payresult_test

import (
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/payresult/payresult"
)

// TestSignaturesCrossVerify checks payresult's signatures against the
// reference Standard Webhooks library in both directions, for secrets
// with and without the whsec_ prefix: an app verifying payresult's events
// with any Standard Webhooks library, given the same secret, accepts
// them, and payresult's verifier accepts what the library signs.
func TestSignaturesCrossVerify(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"order.paid","merchant_uid":"order-1001","data":{"status":"paid"}}`)
	for _, secret := range []string{
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", // the same key without the prefix
		"c2VjcmV0LWtleS1mb3ItdGVzdHMtdGhhdC1pcy1sb25n",
	} {
		t.Run(secret, func(t *testing.T) {
			ref, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatalf("the reference library refuses the secret: %v", err)
			}
			now := time.Now() // the library checks the timestamp against the real clock

			h := webhookHeaders("evt_1", now, payresult.SignWebhook(secret, "evt_1", now, body))
			if err := ref.Verify(body, h); err != nil {
				t.Errorf("the reference library refuses payresult's signature: %v", err)
			}

			sig, err := ref.Sign("evt_1", now, body)
			if err != nil {
				t.Fatal(err)
			}
			if err := payresult.VerifyWebhook(secret, webhookHeaders("evt_1", now, sig), body, now); err != nil {
				t.Errorf("VerifyWebhook refuses the reference library's signature: %v", err)
			}
			if err := payresult.VerifyWebhook(secret, webhookHeaders("evt_1", now, sig), append(body, ' '), now); err == nil {
				t.Error("VerifyWebhook accepts the library's signature over another body")
			}
		})
	}
}
