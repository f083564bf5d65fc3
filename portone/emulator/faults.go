package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// WebhookOrder says how a webhook is ordered against the browser's
// redirect (or the callback). PortOne by default does not order them.
type WebhookOrder string

// The webhook orders.
const (
	// OrderRace sends the webhook and the redirect at once, as PortOne does.
	OrderRace WebhookOrder = ""
	// OrderWebhookFirst finishes the webhook delivery before the redirect
	// is answered (PortOne's "webhook first" mode).
	OrderWebhookFirst WebhookOrder = "webhook_first"
	// OrderRedirectFirst holds the webhook until the redirect has been
	// answered: over HTTP, once the 302 is written; through Pay, until the
	// caller calls Result.Release.
	OrderRedirectFirst WebhookOrder = "redirect_first"
)

// Flavour is the success flag a redirect carries (protocol reference §1.4).
type Flavour string

// The redirect flavours. FlavourPG, the zero value, uses the PG's own.
const (
	FlavourPG         Flavour = ""
	FlavourImpSuccess Flavour = "imp_success"
	FlavourSuccess    Flavour = "success"
	FlavourNone       Flavour = "none"
)

// Faults are the misbehaviours and policies in force for a run. The zero
// value is PortOne behaving normally with no webhook retries.
type Faults struct {
	// WebhookDrop swallows every webhook (logged as dropped, never sent);
	// WebhookDropRate swallows that fraction of them (0..1).
	WebhookDrop     bool    `json:"webhook_drop"`
	WebhookDropRate float64 `json:"webhook_drop_rate"`
	// WebhookDuplicate sends every webhook twice.
	WebhookDuplicate bool `json:"webhook_duplicate"`
	// WebhookDelay holds each webhook this long before its first attempt.
	WebhookDelay Duration `json:"webhook_delay"`
	// WebhookOrder orders webhooks against redirects.
	WebhookOrder WebhookOrder `json:"webhook_order"`
	// WebhookContentType overrides the console content type when set.
	WebhookContentType string `json:"webhook_content_type"`
	// WebhookRetries (0..5) and WebhookRetryInterval are V1's retry
	// policy for network errors and 5xx answers.
	WebhookRetries       int      `json:"webhook_retries"`
	WebhookRetryInterval Duration `json:"webhook_retry_interval"`
	// V2WebhookRetries (0..5) is how many times V2 resends a webhook;
	// unset is PortOne V2's 5. V2 waits WebhookRetryInterval before the
	// first resend and four times longer before each next one (1, 4, 16,
	// 64, 256 minutes by default).
	V2WebhookRetries *int `json:"v2_webhook_retries"`
	// WebhookBadSignature signs V2 webhooks with a wrong key;
	// WebhookStaleTimestamp dates them (and signs them) ten minutes in the
	// past, beyond Standard Webhooks' five-minute tolerance.
	WebhookBadSignature   bool `json:"webhook_bad_signature"`
	WebhookStaleTimestamp bool `json:"webhook_stale_timestamp"`

	// APIErrorRate is the fraction (0..1) of REST API calls answered with
	// APIErrorStatus (default 500) instead of being served.
	APIErrorRate   float64 `json:"api_error_rate"`
	APIErrorStatus int     `json:"api_error_status"`
	// APILatency delays every REST API answer.
	APILatency Duration `json:"api_latency"`
	// APIHang makes REST API calls never answer until the caller gives up.
	APIHang bool `json:"api_hang"`

	// RedirectFlavour overrides the PG's success flag on redirects.
	RedirectFlavour Flavour `json:"redirect_flavour"`
	// RedirectPOST delivers the redirect as a POST form with merchant_uid
	// repeated, as KG Inicis bank transfer does in iOS web views.
	RedirectPOST bool `json:"redirect_post"`
	// RedirectDuplicateMerchantUID repeats merchant_uid in a GET redirect.
	RedirectDuplicateMerchantUID bool `json:"redirect_duplicate_merchant_uid"`
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1.5s"); a bare JSON number is read as milliseconds.
type Duration time.Duration

// MarshalJSON writes d as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "1.5s" or a number of milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	ms, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("duration %s is neither a string nor milliseconds", b)
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// Validate reports the first setting that is out of range.
func (f Faults) Validate() error {
	switch {
	case f.WebhookDropRate < 0 || f.WebhookDropRate > 1:
		return errors.New("webhook_drop_rate must be between 0 and 1")
	case f.APIErrorRate < 0 || f.APIErrorRate > 1:
		return errors.New("api_error_rate must be between 0 and 1")
	case f.APIErrorStatus != 0 && (f.APIErrorStatus < 400 || f.APIErrorStatus > 599):
		return errors.New("api_error_status must be a 4xx or 5xx status")
	case f.WebhookRetries < 0 || f.WebhookRetries > maxWebhookRetries:
		return errors.New("webhook_retries must be between 0 and 5")
	case f.V2WebhookRetries != nil && (*f.V2WebhookRetries < 0 || *f.V2WebhookRetries > maxWebhookRetries):
		return errors.New("v2_webhook_retries must be between 0 and 5")
	case f.WebhookDelay < 0 || f.APILatency < 0 || f.WebhookRetryInterval < 0:
		return errors.New("durations must not be negative")
	case f.WebhookOrder != OrderRace && f.WebhookOrder != OrderWebhookFirst && f.WebhookOrder != OrderRedirectFirst:
		return fmt.Errorf("webhook_order %q is not one of webhook_first, redirect_first or empty", f.WebhookOrder)
	case f.WebhookContentType != "" && f.WebhookContentType != contentTypeJSON && f.WebhookContentType != contentTypeForm:
		return fmt.Errorf("webhook_content_type %q is not %s or %s", f.WebhookContentType, contentTypeJSON, contentTypeForm)
	}
	switch f.RedirectFlavour {
	case FlavourPG, FlavourImpSuccess, FlavourSuccess, FlavourNone:
		return nil
	}
	return fmt.Errorf("redirect_flavour %q is not one of imp_success, success, none or empty", f.RedirectFlavour)
}

// SetFaults replaces the faults in force. Invalid faults are refused and
// change nothing. A zero retry interval means one minute.
func (e *Emulator) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.WebhookRetryInterval == 0 {
		f.WebhookRetryInterval = Duration(time.Minute)
	}
	e.faultMu.Lock()
	e.faults = f
	e.faultMu.Unlock()
	return nil
}

// Faults returns the faults in force.
func (e *Emulator) Faults() Faults {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	return e.faults
}

// chance draws from the seeded fault source.
func (e *Emulator) chance(rate float64) bool {
	if rate <= 0 {
		return false
	}
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	return e.faultRng.Float64() < rate
}

// webhookFaultDecision decides, once per webhook, whether it is dropped
// and whether it is duplicated.
func (e *Emulator) webhookFaultDecision(f Faults) (drop, dup bool) {
	return f.WebhookDrop || e.chance(f.WebhookDropRate), f.WebhookDuplicate
}

// faultMessage is the message of an injected API error.
const faultMessage = "emulated fault: PortOne is unavailable"

// apiFaults wraps the REST API with the latency, hang and error faults.
func (e *Emulator) apiFaults(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := e.Faults()
		if f.APIHang {
			// Answer only when the caller gives up or the emulator closes.
			select {
			case <-r.Context().Done():
			case <-e.closed:
			}
			return
		}
		if f.APILatency > 0 {
			t := time.NewTimer(time.Duration(f.APILatency))
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if e.chance(f.APIErrorRate) {
			status := f.APIErrorStatus
			if status == 0 {
				status = http.StatusInternalServerError
			}
			if e.isV2(r) {
				writeV2Error(w, status, "INTERNAL_SERVER_ERROR", faultMessage)
				return
			}
			writeFail(w, status, -1, faultMessage)
			return
		}
		h.ServeHTTP(w, r)
	})
}
