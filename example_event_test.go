package payresult_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// An app's endpoint for payresult's events (PAYRESULT_EVENTS_URL):
// verify the request, then act on the event once per id, as an event may
// be delivered more than once.
func ExampleVerifyEvent() {
	secret := "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHMtdGhhdC1pcy1sb25n" // PAYRESULT_EVENTS_SECRET
	seen := map[string]bool{}                                      // in a real app: a unique key in its database
	events := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		ev, err := payresult.VerifyEvent(secret, r.Header, body, time.Now())
		if err != nil {
			http.Error(w, "not from payresult", http.StatusBadRequest)
			return
		}
		if seen[ev.ID] {
			w.WriteHeader(http.StatusNoContent) // delivered again: already handled
			return
		}
		seen[ev.ID] = true
		o, err := ev.Order()
		if err != nil {
			http.Error(w, "unreadable order", http.StatusBadRequest)
			return
		}
		if ev.Type == payresult.EventPaid {
			fmt.Printf("ship %s: %s %s paid\n", o.MerchantUID, o.PaidAmount, o.Currency)
		}
		w.WriteHeader(http.StatusNoContent)
	})

	// What payresult's event delivery (outbox.Worker) sends, twice.
	now := time.Now()
	order := &payresult.Order{MerchantUID: "order-1001", Status: payresult.StatusPaid,
		Amount: portone.Won(12000), PaidAmount: portone.Won(12000), Currency: "KRW", Version: 2}
	data, _ := payresult.EventData(order)
	ev := &payresult.Event{ID: payresult.EventID(order.MerchantUID, 2, payresult.EventPaid),
		Type: payresult.EventPaid, MerchantUID: order.MerchantUID, CreatedAt: now, Data: data}
	body, _ := json.Marshal(ev.Envelope())
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/payresult-events", strings.NewReader(string(body)))
		req.Header.Set("webhook-id", ev.ID)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("webhook-signature", payresult.SignWebhook(secret, ev.ID, now, body))
		rec := httptest.NewRecorder()
		events.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// ship order-1001: 12000 KRW paid
	// 204
	// 204
}
