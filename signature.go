package payresult

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers payresult sends with every event.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// WebhookTolerance is how far a webhook-timestamp may lie from the
// receiver's clock, in either direction, before VerifyWebhook refuses it.
// It bounds how long a captured request can be replayed.
const WebhookTolerance = 5 * time.Minute

// webhookSecretPrefix is how Standard Webhooks secrets are usually
// written: "whsec_" and the key in base64. The prefix is optional.
const webhookSecretPrefix = "whsec_"

// MakeWebhookSecret is a shell command that prints a new secret in the
// form WebhookKey accepts: 32 random bytes in base64, with the whsec_
// prefix.
const MakeWebhookSecret = "echo whsec_$(openssl rand -base64 32)"

// Errors returned by VerifyWebhook and VerifyEvent, to be matched with
// errors.Is.
var (
	// ErrWebhookHeaders means a Standard Webhooks header is missing or
	// malformed.
	ErrWebhookHeaders = errors.New("payresult: webhook headers missing or malformed")
	// ErrWebhookTimestamp means the webhook-timestamp is outside
	// WebhookTolerance of the receiver's clock: stale, or from the future.
	ErrWebhookTimestamp = errors.New("payresult: webhook timestamp outside tolerance")
	// ErrWebhookSignature means no signature in the header matches the
	// body: it was tampered with, or signed with another secret.
	ErrWebhookSignature = errors.New("payresult: webhook signature does not match")
	// ErrWebhookSecret means the secret is not a Standard Webhooks secret:
	// empty, or not base64 (after an optional whsec_ prefix).
	ErrWebhookSecret = errors.New("payresult: invalid webhook secret")
	// ErrEventBody means VerifyEvent found a correctly signed body that is
	// not the event its webhook-id header names.
	ErrEventBody = errors.New("payresult: the body is not the event delivered")
)

// WebhookKey returns the HMAC key of a webhook secret as the Standard
// Webhooks specification defines it: the secret is the key in standard
// base64, optionally after a whsec_ prefix, so that any Standard Webhooks
// library given the same secret computes the same signatures. A secret
// that is empty or not base64 fails with ErrWebhookSecret (its message
// shows how to make one), so that a misconfigured secret is caught at
// start-up rather than by every receiver.
func WebhookKey(secret string) ([]byte, error) {
	text := strings.TrimPrefix(secret, webhookSecretPrefix)
	if text == "" {
		return nil, fmt.Errorf("%w: it is empty; make one with: %s", ErrWebhookSecret, MakeWebhookSecret)
	}
	key, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("%w: a secret is base64, optionally after %q, and this one is not; make one with: %s",
			ErrWebhookSecret, webhookSecretPrefix, MakeWebhookSecret)
	}
	return key, nil
}

// SignWebhook returns the webhook-signature header value for one delivery:
// "v1," followed by the base64 HMAC-SHA256, keyed by the secret (see
// WebhookKey), of "id.timestamp.body" with the timestamp in Unix seconds.
// It returns "" when the secret is invalid; check secrets with WebhookKey
// first.
func SignWebhook(secret string, id string, ts time.Time, body []byte) string {
	key, err := WebhookKey(secret)
	if err != nil {
		return ""
	}
	return "v1," + base64.StdEncoding.EncodeToString(webhookMAC(key, id, ts.Unix(), body))
}

func webhookMAC(key []byte, id string, unix int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(unix, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyWebhook checks a delivery received from payresult (or any Standard
// Webhooks sender): the webhook-id, webhook-timestamp and webhook-signature
// headers must be present, the timestamp within WebhookTolerance of now,
// and at least one of the space-separated "v1,<base64>" signatures must
// match the body. Signatures of other versions are ignored, so a sender
// may add new schemes during a secret rotation. Comparison is in constant
// time. The errors wrap ErrWebhookHeaders, ErrWebhookTimestamp,
// ErrWebhookSignature or ErrWebhookSecret.
func VerifyWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := WebhookKey(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
	if id == "" || tsText == "" || sigs == "" {
		return fmt.Errorf("%w: need %s, %s and %s", ErrWebhookHeaders,
			HeaderWebhookID, HeaderWebhookTimestamp, HeaderWebhookSignature)
	}
	unix, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not Unix seconds", ErrWebhookHeaders, HeaderWebhookTimestamp, tsText)
	}
	if skew := now.Sub(time.Unix(unix, 0)); skew > WebhookTolerance || skew < -WebhookTolerance {
		return fmt.Errorf("%w: timestamp is %s away from now", ErrWebhookTimestamp, skew.Round(time.Second))
	}
	want := webhookMAC(key, id, unix, body)
	for _, sig := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrWebhookSignature
}
