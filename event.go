package payresult

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// EventType names a change the app is told about.
type EventType string

// The events payresult sends. Each state change produces exactly one.
const (
	EventPaid              EventType = "order.paid"
	EventVbankIssued       EventType = "order.vbank_issued"
	EventFailed            EventType = "order.failed"
	EventPartiallyRefunded EventType = "order.partially_refunded"
	EventRefunded          EventType = "order.refunded"
	EventForged            EventType = "order.forged"
	EventExpired           EventType = "order.expired"
)

// EventTypeFor returns the event that announces an order entering status s.
func EventTypeFor(s Status) (EventType, bool) {
	switch s {
	case StatusPaid:
		return EventPaid, true
	case StatusVbankIssued:
		return EventVbankIssued, true
	case StatusFailed:
		return EventFailed, true
	case StatusPartiallyRefunded:
		return EventPartiallyRefunded, true
	case StatusRefunded:
		return EventRefunded, true
	case StatusForged:
		return EventForged, true
	case StatusExpired:
		return EventExpired, true
	}
	return "", false
}

// DeliveryState is where an event stands in delivery to the app.
type DeliveryState string

// Delivery states. Pending events are retried with backoff until they are
// delivered or, after days of failures, dead.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryDead      DeliveryState = "dead"
	DeliveryNone      DeliveryState = "none" // no events URL is configured: feed only
)

// Event is one verified change of an order, kept in the outbox until
// delivered and readable in the feed for good.
type Event struct {
	// ID is stable across retries: the webhook-id the app de-duplicates on.
	ID string `json:"id"`
	// Seq orders the feed; assigned by the store, increasing.
	Seq         int64     `json:"seq"`
	Type        EventType `json:"type"`
	MerchantUID string    `json:"merchant_uid"`
	CreatedAt   time.Time `json:"created_at"`
	// Data is the JSON body sent to the app: the order as it was after the
	// change (see EventData).
	Data json.RawMessage `json:"data"`

	State       DeliveryState `json:"delivery_state"`
	Attempts    int           `json:"delivery_attempts"`
	NextAttempt time.Time     `json:"next_attempt_at,omitzero"`
	LastError   string        `json:"last_error,omitempty"`
	DeliveredAt time.Time     `json:"delivered_at,omitzero"`
}

// EventID returns the stable id of the event that an order's change to
// version produced. Deriving it from the order and version (rather than
// drawing it at random) makes a second insert of the same event collide on
// the primary key even if compare-and-set were bypassed.
func EventID(merchantUID string, version int64, t EventType) string {
	h := sha256.New()
	h.Write([]byte(merchantUID))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(version, 10)))
	h.Write([]byte{0})
	h.Write([]byte(t))
	return "evt_" + hex.EncodeToString(h.Sum(nil))[:24]
}

// EventData returns the body of an event about o: the order as JSON, as it
// was after the change the event announces.
func EventData(o *Order) (json.RawMessage, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, WrapError(KindInternal, err, "encoding order %s", o.MerchantUID)
	}
	return b, nil
}

// Delivery is the outcome of one attempt to deliver an event.
type Delivery struct {
	EventID     string
	State       DeliveryState
	Attempts    int
	NextAttempt time.Time
	LastError   string
	DeliveredAt time.Time
}

// NoticeSource says where a notice came from.
type NoticeSource string

// Notice sources.
const (
	SourceRedirect   NoticeSource = "redirect"
	SourceWebhook    NoticeSource = "webhook"
	SourceReconciler NoticeSource = "reconciler"
	SourceApp        NoticeSource = "app"
	SourceAdmin      NoticeSource = "admin" // an operator, on the admin console
)
