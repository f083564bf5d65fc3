package portonev2_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/payresult/payresult/portone/portonev2"
)

// The test vector of PortOne's JavaScript SDK, with a signature computed
// apart from this package (Python's hmac).
const (
	vectorSecret    = "pzQGE83cSIRKM4/WH5QY+g=="
	vectorID        = "dummy-webhook-id"
	vectorPayload   = `{"test":"test payload"}`
	vectorTimestamp = 1614265330
	vectorSignature = "v1,zTBmUEh767IBuuteLkfC9S7OogVuyh0dBNfkncK0FKk="
)

func vectorHeaders(ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", vectorID)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", sig)
	return h
}

// TestSignWebhook checks the signature against one made elsewhere.
func TestSignWebhook(t *testing.T) {
	for _, secret := range []string{vectorSecret, "whsec_" + vectorSecret, "whsec_pzQGE83cSIRKM4/WH5QY+g"} {
		got, err := portonev2.SignWebhook(secret, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload))
		if err != nil || got != vectorSignature {
			t.Errorf("SignWebhook(%q) = %q, %v; want %q", secret, got, err, vectorSignature)
		}
	}
	if _, err := portonev2.SignWebhook("not base64!", vectorID, time.Unix(vectorTimestamp, 0), nil); !errors.Is(err, portonev2.ErrWebhookSecret) {
		t.Errorf("a secret that is not base64: err = %v, want ErrWebhookSecret", err)
	}
}

// TestVerifySignature checks each way a webhook is refused, and that one
// good signature among others is enough.
func TestVerifySignature(t *testing.T) {
	at := time.Unix(vectorTimestamp, 0)
	dup := vectorHeaders(vectorTimestamp, vectorSignature)
	dup.Add("webhook-id", "another")
	tests := []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		want error
	}{
		{"good", vectorHeaders(vectorTimestamp, vectorSignature), vectorPayload, at, nil},
		{"one good among others", vectorHeaders(vectorTimestamp, "v1a,abc v1,bm9wZQ== v2,xyz "+vectorSignature), vectorPayload, at, nil},
		{"tampered body", vectorHeaders(vectorTimestamp, vectorSignature), `{"test":"test payloaD"}`, at, portonev2.ErrWebhookSignature},
		{"signature of another secret", vectorHeaders(vectorTimestamp, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), vectorPayload, at, portonev2.ErrWebhookSignature},
		{"stale", vectorHeaders(vectorTimestamp, vectorSignature), vectorPayload, at.Add(5*time.Minute + time.Second), portonev2.ErrWebhookTooOld},
		{"from the future", vectorHeaders(vectorTimestamp, vectorSignature), vectorPayload, at.Add(-5*time.Minute - time.Second), portonev2.ErrWebhookTooNew},
		{"just within tolerance", vectorHeaders(vectorTimestamp, vectorSignature), vectorPayload, at.Add(5 * time.Minute), nil},
		{"missing header", http.Header{"Webhook-Id": {vectorID}}, vectorPayload, at, portonev2.ErrWebhookHeaders},
		{"repeated header", dup, vectorPayload, at, portonev2.ErrWebhookHeaders},
		{"timestamp not a number", vectorHeaders(0, vectorSignature), vectorPayload, at, nil},
	}
	tests[len(tests)-1].h.Set("webhook-timestamp", "yesterday")
	tests[len(tests)-1].want = portonev2.ErrWebhookSignature
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := portonev2.VerifySignature(vectorSecret, tt.h, []byte(tt.body), tt.now)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestParseWebhook reads both payload versions, and the legacy one as a
// form.
func TestParseWebhook(t *testing.T) {
	tests := []struct {
		name, body string
		want       portonev2.Webhook
	}{
		{"2024-04-25", `{"type":"Transaction.Cancelled","timestamp":"2024-04-25T10:00:00.000Z","data":{"paymentId":"p-1","storeId":"store-1","transactionId":"tx-1","cancellationId":"c-1"}}`,
			portonev2.Webhook{Version: portonev2.WebhookVersionCurrent, Type: "Transaction.Cancelled", Timestamp: time.Date(2024, 4, 25, 10, 0, 0, 0, time.UTC),
				PaymentID: "p-1", StoreID: "store-1", TransactionID: "tx-1", CancellationID: "c-1"}},
		{"2024-04-25 of an unknown type", `{"type":"BillingKey.Issued","timestamp":"2024-04-25T10:00:00Z","data":{"billingKey":"b-1","storeId":"store-1"}}`,
			portonev2.Webhook{Version: portonev2.WebhookVersionCurrent, Type: "BillingKey.Issued", Timestamp: time.Date(2024, 4, 25, 10, 0, 0, 0, time.UTC), StoreID: "store-1"}},
		{"2024-01-01", `{"payment_id":"p-1","tx_id":"tx-1","status":"Paid"}`,
			portonev2.Webhook{Version: portonev2.WebhookVersionLegacy, Type: "Transaction.Paid", PaymentID: "p-1", TransactionID: "tx-1"}},
		{"2024-01-01 as a form", `payment_id=p-1&tx_id=tx-1&status=VirtualAccountIssued`,
			portonev2.Webhook{Version: portonev2.WebhookVersionLegacy, Type: "Transaction.VirtualAccountIssued", PaymentID: "p-1", TransactionID: "tx-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := portonev2.ParseWebhook([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("ParseWebhook = %+v, want %+v", *got, tt.want)
			}
		})
	}
	for _, bad := range []string{``, `{}`, `not a webhook`, `{"type":`} {
		if _, err := portonev2.ParseWebhook([]byte(bad)); err == nil {
			t.Errorf("ParseWebhook(%q) succeeded", bad)
		}
	}
}
