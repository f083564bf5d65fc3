package portonev2

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers PortOne signs V2 webhooks with.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// WebhookTolerance is how far webhook-timestamp may lie from the
// receiver's clock, either way, as PortOne's SDKs allow.
const WebhookTolerance = 5 * time.Minute

// Errors of VerifyWebhook, to be matched with errors.Is. They follow the
// reasons of PortOne's own SDKs.
var (
	// ErrWebhookSecret: the secret is empty or not base64 (after an
	// optional whsec_ prefix).
	ErrWebhookSecret = errors.New("portonev2: webhook secret is not base64")
	// ErrWebhookHeaders (MISSING_REQUIRED_HEADERS): a header is missing
	// or given twice.
	ErrWebhookHeaders = errors.New("portonev2: webhook headers missing")
	// ErrWebhookSignature (NO_MATCHING_SIGNATURE, INVALID_SIGNATURE): no
	// v1 signature matches, or the timestamp is not a number.
	ErrWebhookSignature = errors.New("portonev2: no matching webhook signature")
	// ErrWebhookTooOld (TIMESTAMP_TOO_OLD) and ErrWebhookTooNew
	// (TIMESTAMP_TOO_NEW): the timestamp is outside WebhookTolerance.
	ErrWebhookTooOld = errors.New("portonev2: webhook timestamp too old")
	ErrWebhookTooNew = errors.New("portonev2: webhook timestamp too new")
)

// WebhookKey decodes a V2 webhook secret: standard base64 (padding
// optional), with or without the whsec_ prefix.
func WebhookKey(secret string) ([]byte, error) {
	s := strings.TrimPrefix(secret, "whsec_")
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil || len(key) == 0 {
		return nil, ErrWebhookSecret
	}
	return key, nil
}

// SignWebhook returns the webhook-signature value PortOne sends for a
// delivery: "v1," and the base64 HMAC-SHA256 of "id.timestamp.body".
func SignWebhook(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := WebhookKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(webhookMAC(key, id, strconv.FormatInt(ts.Unix(), 10), body)), nil
}

func webhookMAC(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%s.", id, ts)
	m.Write(body)
	return m.Sum(nil)
}

// header returns the one value of name, or "" when it is missing or
// given more than once (PortOne's SDKs count a repeated header as
// missing).
func header(h http.Header, name string) string {
	vs := h.Values(name)
	if len(vs) != 1 {
		return ""
	}
	return vs[0]
}

// VerifySignature checks a V2 webhook's Standard Webhooks signature as
// PortOne's SDKs do, on the raw body exactly as received: the three
// headers present once each, the timestamp within WebhookTolerance of now,
// and one "v1," signature among the space-separated ones matching.
func VerifySignature(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := WebhookKey(secret)
	if err != nil {
		return err
	}
	id, ts, sigs := header(h, HeaderWebhookID), header(h, HeaderWebhookTimestamp), header(h, HeaderWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrWebhookHeaders
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not a number", ErrWebhookSignature, HeaderWebhookTimestamp, ts)
	}
	switch at := time.Unix(unix, 0); {
	case now.Sub(at) > WebhookTolerance:
		return ErrWebhookTooOld
	case at.Sub(now) > WebhookTolerance:
		return ErrWebhookTooNew
	}
	want := webhookMAC(key, id, ts, body)
	for _, entry := range strings.Split(sigs, " ") {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		sig, _, _ = strings.Cut(sig, ",")
		if got, err := base64.StdEncoding.DecodeString(sig); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrWebhookSignature
}

// VerifyWebhook checks a V2 webhook's signature (VerifySignature) and then
// parses it (ParseWebhook), in either payload version. A webhook of a kind
// this package does not know parses with its Type set and nothing else, so
// that callers can ignore it, as PortOne asks.
func VerifyWebhook(secret string, h http.Header, body []byte, now time.Time) (*Webhook, error) {
	if err := VerifySignature(secret, h, body, now); err != nil {
		return nil, err
	}
	w, err := ParseWebhook(body)
	if err != nil {
		return nil, err
	}
	w.ID = header(h, HeaderWebhookID)
	return w, nil
}

// The two payload versions of V2 webhooks.
const (
	WebhookVersionCurrent = "2024-04-25"
	WebhookVersionLegacy  = "2024-01-01"
)

// Webhook is a V2 webhook, of either payload version. It only names a
// payment: the payment's state must be read with Client.Payment.
type Webhook struct {
	// ID is the webhook-id header: the same on every retry.
	ID      string
	Version string // WebhookVersionCurrent or WebhookVersionLegacy
	// Type is "Transaction.Paid" and the like (2024-04-25), or the
	// legacy status with the same prefix ("Transaction.Paid" for
	// {"status": "Paid"}).
	Type           string
	Timestamp      time.Time // 2024-04-25 only: when the event happened
	PaymentID      string
	StoreID        string // 2024-04-25 only
	TransactionID  string
	CancellationID string // the cancel types of 2024-04-25 only
}

// ParseWebhook reads a webhook body of either version without checking
// its signature: call VerifyWebhook for bodies from the network. The
// legacy version may arrive form-encoded.
func ParseWebhook(body []byte) (*Webhook, error) {
	var v struct {
		Type      string    `json:"type"`
		Timestamp time.Time `json:"timestamp"`
		Data      struct {
			PaymentID      string `json:"paymentId"`
			StoreID        string `json:"storeId"`
			TransactionID  string `json:"transactionId"`
			CancellationID string `json:"cancellationId"`
		} `json:"data"`
		PaymentID string `json:"payment_id"`
		TxID      string `json:"tx_id"`
		Status    string `json:"status"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		form, ferr := url.ParseQuery(string(body))
		if ferr != nil || form.Get("payment_id") == "" {
			return nil, fmt.Errorf("portonev2: webhook body is neither JSON nor a form: %w", err)
		}
		v.PaymentID, v.TxID, v.Status = form.Get("payment_id"), form.Get("tx_id"), form.Get("status")
	}
	if v.Type != "" {
		return &Webhook{Version: WebhookVersionCurrent, Type: v.Type, Timestamp: v.Timestamp, PaymentID: v.Data.PaymentID,
			StoreID: v.Data.StoreID, TransactionID: v.Data.TransactionID, CancellationID: v.Data.CancellationID}, nil
	}
	if v.PaymentID != "" {
		return &Webhook{Version: WebhookVersionLegacy, Type: "Transaction." + v.Status, PaymentID: v.PaymentID, TransactionID: v.TxID}, nil
	}
	return nil, errors.New("portonev2: webhook body has neither type nor payment_id")
}
