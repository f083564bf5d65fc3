package emulator

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/payresult/payresult/portone/portonev2"
)

// V2's webhook transport: 30 s to connect and 30 s to read, and five
// resends by default.
const (
	v2WebhookTimeout = 60 * time.Second
	v2WebhookRetries = 5
	// staleBy is how far back the stale-timestamp fault dates a webhook.
	staleBy = 10 * time.Minute
)

// v2HookTarget is where a V2 payment's webhooks go: its noticeUrls, or
// the console URL.
func (e *Emulator) v2HookTarget(noticeURLs []string) webhookTarget {
	t := webhookTarget{contentType: e.cfg.V2.WebhookContentType}
	switch {
	case len(noticeURLs) > 0:
		t.urls = append([]string(nil), noticeURLs...)
	case e.cfg.V2.WebhookURL != "":
		t.urls = []string{e.cfg.V2.WebhookURL}
	}
	return t
}

// v2Payload is the body of a V2 webhook in the console's payload version.
func (e *Emulator) v2Payload(p *portonev2.Payment, typ, cancellationID string, at time.Time) []byte {
	if e.cfg.V2.WebhookVersion == portonev2.WebhookVersionLegacy {
		status := strings.TrimPrefix(typ, "Transaction.")
		if e.cfg.V2.WebhookContentType == contentTypeForm {
			return []byte("payment_id=" + url.QueryEscape(p.ID) + "&tx_id=" + url.QueryEscape(p.TransactionID) +
				"&status=" + url.QueryEscape(status))
		}
		return mustMarshal(struct {
			PaymentID string `json:"payment_id"`
			TxID      string `json:"tx_id"`
			Status    string `json:"status"`
		}{p.ID, p.TransactionID, status})
	}
	type data struct {
		PaymentID      string `json:"paymentId"`
		StoreID        string `json:"storeId"`
		TransactionID  string `json:"transactionId"`
		CancellationID string `json:"cancellationId,omitempty"`
	}
	return mustMarshal(struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      data   `json:"data"`
	}{typ, at.UTC().Format("2006-01-02T15:04:05.000Z"), data{p.ID, p.StoreID, p.TransactionID, cancellationID}})
}

// sendV2 sends the webhook typ (Transaction.Paid, ...) of rec's payment,
// signed per Standard Webhooks, with the faults in force. Delivery waits
// for gate (nil: none). The returned channel is closed when every attempt
// has finished.
func (e *Emulator) sendV2(rec *v2record, typ, cancellationID string, gate <-chan struct{}) <-chan struct{} {
	f := e.Faults()
	e.mu.RLock()
	p, urls := rec.p, rec.hook.urls
	e.mu.RUnlock()
	return e.hooks.deliverAll(urls, e.v2Message(&p, typ, cancellationID, f), gate, f)
}

// v2Message is one V2 webhook: its body in the console's payload version,
// its signature per attempt, and V2's resends.
func (e *Emulator) v2Message(p *portonev2.Payment, typ, cancellationID string, f Faults) message {
	e.mu.Lock()
	id := "msg_" + e.alnum(24)
	e.mu.Unlock()
	body := e.v2Payload(p, typ, cancellationID, e.now())
	secret := e.cfg.V2.WebhookSecret
	if f.WebhookBadSignature {
		secret = "whsec_" + "d3Jvbmcta2V5LW5vdC10aGUtc3RvcmUncw=="
	}
	sign := func(at time.Time) http.Header {
		if f.WebhookStaleTimestamp {
			at = at.Add(-staleBy)
		}
		sig, err := portonev2.SignWebhook(secret, id, at, body)
		if err != nil {
			e.log.Error("emulator: signing a V2 webhook", "err", err)
		}
		h := http.Header{}
		h.Set(portonev2.HeaderWebhookID, id)
		h.Set(portonev2.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
		h.Set(portonev2.HeaderWebhookSignature, sig)
		return h
	}
	retries := v2WebhookRetries
	if f.V2WebhookRetries != nil {
		retries = *f.V2WebhookRetries
	}
	interval := time.Duration(f.WebhookRetryInterval)
	return message{
		entry: WebhookDelivery{API: "v2", PaymentID: p.ID, Type: typ, CancellationID: cancellationID},
		body:  body, contentType: e.cfg.V2.WebhookContentType, sign: sign, retries: retries,
		wait:  func(n int) time.Duration { return interval << (2 * (n - 1)) },
		first: v2WebhookTimeout, resend: v2WebhookTimeout,
	}
}
