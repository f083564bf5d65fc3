package payresult

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// EventEnvelope is the JSON body of every event payresult delivers to the
// app's events URL, signed per Standard Webhooks. Its fields are a subset
// of the feed's event JSON (GET /api/events, Event), so an app can decode
// both with it. The body is the same on every attempt to deliver one
// event; only the webhook-timestamp header and the signature change.
type EventEnvelope struct {
	// ID is the event's stable id, also sent as the webhook-id header: the
	// app de-duplicates on it, as an event may be delivered more than once.
	ID string `json:"id"`
	// Type says what happened to the order.
	Type EventType `json:"type"`
	// MerchantUID is the app's order id.
	MerchantUID string `json:"merchant_uid"`
	// CreatedAt is when the change was stored.
	CreatedAt time.Time `json:"created_at"`
	// Data is the order as it was right after the change, as JSON; Order
	// decodes it.
	Data json.RawMessage `json:"data"`
}

// Envelope returns the body that delivers e.
func (e *Event) Envelope() *EventEnvelope {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	return &EventEnvelope{ID: e.ID, Type: e.Type, MerchantUID: e.MerchantUID, CreatedAt: e.CreatedAt.UTC(), Data: data}
}

// Order decodes the order the event carries: its state right after the
// change the event announces. A later event of the same order carries a
// higher Version.
func (e *EventEnvelope) Order() (*Order, error) {
	var o Order
	if err := json.Unmarshal(e.Data, &o); err != nil {
		return nil, fmt.Errorf("payresult: event %s: decoding its order: %w", e.ID, err)
	}
	return &o, nil
}

// VerifyEvent checks a request that payresult delivered to the app's
// events URL and returns the event it carries. It verifies the Standard
// Webhooks signature as VerifyWebhook does (secret is the events secret,
// h the request's headers, body its bytes exactly as received, now the
// receiver's clock), then decodes the body and checks that it is the
// event the webhook-id header names. Errors wrap those of VerifyWebhook,
// or ErrEventBody for a signed body that is not an event; act on the
// event only when err is nil.
func VerifyEvent(secret string, h http.Header, body []byte, now time.Time) (*EventEnvelope, error) {
	if err := VerifyWebhook(secret, h, body, now); err != nil {
		return nil, err
	}
	var e EventEnvelope
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEventBody, err)
	}
	switch id := h.Get(HeaderWebhookID); {
	case e.ID != id:
		return nil, fmt.Errorf("%w: it holds event %q, but %s is %q", ErrEventBody, e.ID, HeaderWebhookID, id)
	case e.Type == "" || e.MerchantUID == "":
		return nil, fmt.Errorf("%w: no type or merchant_uid", ErrEventBody)
	}
	return &e, nil
}
