package payresult_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// paidEvent returns the event payresult stores when order-1001 is paid,
// and the body that delivers it.
func paidEvent(t testing.TB, at time.Time) (*payresult.Event, []byte) {
	t.Helper()
	o := &payresult.Order{
		MerchantUID: "order-1001", Name: "머그컵", Amount: portone.Won(12000), Currency: "KRW",
		Status: payresult.StatusPaid, ImpUID: "imp_380188253111", PaidAmount: portone.Won(12000),
		PaidAt: at, CreatedAt: at.Add(-time.Minute), UpdatedAt: at, Version: 2,
	}
	data, err := payresult.EventData(o)
	if err != nil {
		t.Fatal(err)
	}
	ev := &payresult.Event{
		ID: payresult.EventID(o.MerchantUID, o.Version, payresult.EventPaid), Seq: 7,
		Type: payresult.EventPaid, MerchantUID: o.MerchantUID, CreatedAt: at, Data: data,
		State: payresult.DeliveryPending, Attempts: 2,
	}
	body, err := json.Marshal(ev.Envelope())
	if err != nil {
		t.Fatal(err)
	}
	return ev, body
}

func TestVerifyEvent(t *testing.T) {
	const secret = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM="
	sent := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ev, body := paidEvent(t, sent)
	sign := func(id string, b []byte) http.Header {
		return webhookHeaders(id, sent, payresult.SignWebhook(secret, id, sent, b))
	}

	got, err := payresult.VerifyEvent(secret, sign(ev.ID, body), body, sent.Add(time.Second))
	if err != nil {
		t.Fatalf("VerifyEvent: %v", err)
	}
	want := &payresult.EventEnvelope{ID: ev.ID, Type: ev.Type, MerchantUID: ev.MerchantUID, CreatedAt: sent, Data: ev.Data}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	o, err := got.Order()
	if err != nil || o.Status != payresult.StatusPaid || o.PaidAmount != portone.Won(12000) || o.Version != 2 {
		t.Errorf("Order() = %+v, %v; want the paid order at version 2", o, err)
	}

	notEvent := []byte(`[1,2,3]`)
	otherEvent := []byte(strings.Replace(string(body), ev.ID, "evt_other", 1))
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		want   error
	}{
		{"tampered body", sign(ev.ID, body), []byte(strings.Replace(string(body), "12000", "1200", 1)), payresult.ErrWebhookSignature},
		{"signed, but not an event", sign(ev.ID, notEvent), notEvent, payresult.ErrEventBody},
		{"signed, but another event than webhook-id names", sign(ev.ID, otherEvent), otherEvent, payresult.ErrEventBody},
		{"signed, but empty", sign(ev.ID, []byte(`{"id":"`+ev.ID+`"}`)), []byte(`{"id":"` + ev.ID + `"}`), payresult.ErrEventBody},
		{"no headers", http.Header{}, body, payresult.ErrWebhookHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := payresult.VerifyEvent(secret, tt.header, tt.body, sent)
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("VerifyEvent = %+v, %v; want nil, %v", got, err, tt.want)
			}
		})
	}
	if _, err := payresult.VerifyEvent(secret, sign(ev.ID, body), body, sent.Add(time.Hour)); !errors.Is(err, payresult.ErrWebhookTimestamp) {
		t.Errorf("VerifyEvent an hour later = %v, want ErrWebhookTimestamp", err)
	}
}

// TestEnvelopeIsTheFeedsShape checks that the delivered body decodes the
// same as the feed's JSON of the event: one type serves both.
func TestEnvelopeIsTheFeedsShape(t *testing.T) {
	ev, body := paidEvent(t, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	feed, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var fromFeed, fromBody payresult.EventEnvelope
	if err := json.Unmarshal(feed, &fromFeed); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &fromBody); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromFeed, fromBody); diff != "" {
		t.Errorf("feed and delivery decode differently (-feed +delivery):\n%s", diff)
	}
}
