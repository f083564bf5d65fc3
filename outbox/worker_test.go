package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/fakeclock"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/outbox"
	"github.com/payresult/payresult/portone"
)

const secret = "whsec_dGVzdC1zZWNyZXQtZm9yLXRoZS1vdXRib3g="

func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) }

// received is one request the app got.
type received struct {
	id, timestamp string
	body          []byte
	verifyErr     error
}

// app is the app's events endpoint: it answers with whatever respond
// returns (or, when respond returns 0, blocks until the request is
// abandoned), and records every request it got.
type app struct {
	t       *testing.T
	clock   *fakeclock.Clock
	srv     *httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(n int, r *http.Request) int // n counts requests from 1
}

func newApp(t *testing.T, c *fakeclock.Clock, respond func(n int, r *http.Request) int) *app {
	t.Helper()
	a := &app{t: t, clock: c, respond: respond}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *app) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := received{
		id:        r.Header.Get("webhook-id"),
		timestamp: r.Header.Get("webhook-timestamp"),
		body:      body,
		verifyErr: payresult.VerifyWebhook(secret, r.Header, body, a.clock.Now()),
	}
	a.mu.Lock()
	a.got = append(a.got, rec)
	n := len(a.got)
	a.mu.Unlock()
	status := a.respond(n, r)
	if status == 0 {
		<-r.Context().Done() // the worker gave up waiting
		return
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "answer %d", status)
}

func (a *app) requests() []received {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]received(nil), a.got...)
}

// seedEvents stores n paid orders, each with its order.paid event, due at
// the clock's time, and returns the event ids in order.
func seedEvents(t *testing.T, s payresult.Store, c *fakeclock.Clock, n int) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for i := range n {
		o := &payresult.Order{
			MerchantUID: fmt.Sprintf("order-%04d", i),
			Name:        "coffee",
			Amount:      portone.Won(1000),
			Currency:    "KRW",
			Status:      payresult.StatusPending,
			CreatedAt:   c.Now(),
			UpdatedAt:   c.Now(),
		}
		if err := s.Apply(ctx, &payresult.Change{Order: o}); err != nil {
			t.Fatalf("registering an order: %v", err)
		}
		paid := *o
		paid.Status, paid.ImpUID, paid.PaidAmount, paid.PaidAt = payresult.StatusPaid, fmt.Sprintf("imp_%04d", i), o.Amount, c.Now()
		data, err := json.Marshal(paid)
		if err != nil {
			t.Fatal(err)
		}
		ev := payresult.Event{
			ID:          payresult.EventID(o.MerchantUID, 2, payresult.EventPaid),
			Type:        payresult.EventPaid,
			MerchantUID: o.MerchantUID,
			CreatedAt:   c.Now(),
			Data:        data,
			State:       payresult.DeliveryPending,
			NextAttempt: c.Now(),
		}
		if err := s.Apply(ctx, &payresult.Change{FromVersion: 1, Order: &paid, Events: []payresult.Event{ev}}); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

// event returns the stored event with the given id.
func event(t *testing.T, s payresult.Store, id string) payresult.Event {
	t.Helper()
	evs, err := s.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	for _, ev := range evs {
		if ev.ID == id {
			return ev
		}
	}
	t.Fatalf("event %s not in the feed", id)
	return payresult.Event{}
}

func newWorker(s payresult.Store, c *fakeclock.Clock, url string) *outbox.Worker {
	// The timeout is generous: with the clock fake, a delivery that timed
	// out on a loaded machine would wait for a backoff that never comes.
	return &outbox.Worker{Store: s, URL: url, Secret: secret, Now: c.Now, Timeout: 10 * time.Second, Lease: time.Minute}
}

// step runs one round and checks how many events it attempted.
func step(t *testing.T, w *outbox.Worker, want int) {
	t.Helper()
	n, err := w.Step(context.Background())
	if err != nil {
		t.Fatalf("Step: %v", err)
	}
	if n != want {
		t.Fatalf("Step attempted %d events, want %d", n, want)
	}
}

// TestRedeliveryAfterFailure shows that an app that fails, times out or
// answers 500 gets the event again later, with the same id, the same body
// and a valid signature, and that it is delivered once the app answers 2xx.
func TestRedeliveryAfterFailure(t *testing.T) {
	tests := []struct {
		name    string
		first   int // the app's first answer; 0 hangs until the worker gives up
		refused bool
		wantErr string
	}{
		{name: "500", first: http.StatusInternalServerError, wantErr: "HTTP 500"},
		{name: "404", first: http.StatusNotFound, wantErr: "HTTP 404"},
		{name: "redirect", first: http.StatusFound, wantErr: "HTTP 302"},
		{name: "timeout", first: 0, wantErr: "deadline exceeded"},
		{name: "connection refused", first: http.StatusOK, refused: true, wantErr: "connect"}, // first: the app sees only the retry
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, s payresult.Store) {
				c := newClock()
				id := seedEvents(t, s, c, 1)[0]
				a := newApp(t, c, func(n int, r *http.Request) int {
					if n == 1 {
						return tt.first
					}
					return http.StatusNoContent
				})
				w := newWorker(s, c, a.srv.URL)
				if tt.refused {
					dead := httptest.NewServer(http.NotFoundHandler())
					w.URL = dead.URL
					dead.Close()
				}
				step(t, w, 1)

				ev := event(t, s, id)
				if ev.State != payresult.DeliveryPending || ev.Attempts != 1 || !ev.DeliveredAt.IsZero() {
					t.Fatalf("after a failure: state %s, attempts %d, delivered %v; want pending, 1, never", ev.State, ev.Attempts, ev.DeliveredAt)
				}
				if !strings.Contains(ev.LastError, tt.wantErr) {
					t.Errorf("last error %q, want it to mention %q", ev.LastError, tt.wantErr)
				}
				if wait := ev.NextAttempt.Sub(c.Now()); wait < 5*time.Second || wait > 7*time.Second {
					t.Errorf("next attempt in %s, want 5s plus up to a quarter of jitter", wait)
				}
				step(t, w, 0) // not due yet

				w.URL = a.srv.URL
				c.Advance(7 * time.Second)
				step(t, w, 1)
				ev = event(t, s, id)
				if ev.State != payresult.DeliveryDelivered || ev.Attempts != 2 || !ev.DeliveredAt.Equal(c.Now()) {
					t.Errorf("after the retry: state %s, attempts %d, delivered %v; want delivered, 2, %v", ev.State, ev.Attempts, ev.DeliveredAt, c.Now())
				}
				wantRequests := 2
				if tt.refused {
					wantRequests = 1 // the first attempt never reached the app
				}
				checkSameEvent(t, a.requests(), id, wantRequests)
				step(t, w, 0) // delivered events are not sent again
			})
		})
	}
}

// checkSameEvent checks that the app got want requests, all for event id,
// all with the same body and a valid signature.
func checkSameEvent(t *testing.T, got []received, id string, want int) {
	t.Helper()
	if len(got) != want {
		t.Fatalf("app got %d requests, want %d", len(got), want)
	}
	for i, r := range got {
		if r.id != id {
			t.Errorf("request %d: webhook-id %q, want %q", i, r.id, id)
		}
		if r.verifyErr != nil {
			t.Errorf("request %d: signature does not verify: %v", i, r.verifyErr)
		}
		if diff := cmp.Diff(string(got[0].body), string(r.body)); diff != "" {
			t.Errorf("request %d: body differs from the first (-first +this):\n%s", i, diff)
		}
		var env payresult.EventEnvelope
		if err := json.Unmarshal(r.body, &env); err != nil || env.ID != id || env.Type != payresult.EventPaid {
			t.Errorf("request %d: body %s does not decode to event %s (err %v)", i, r.body, id, err)
		}
	}
}

// TestStoppedMidSendResends shows that a worker stopped between sending an
// event and recording the outcome loses nothing: the event is not marked
// delivered, and once the lease runs out it is sent again.
func TestStoppedMidSendResends(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		c := newClock()
		id := seedEvents(t, s, c, 1)[0]
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		a := newApp(t, c, func(n int, r *http.Request) int {
			if n == 1 {
				stop() // the worker is killed while the app handles the event
			}
			return http.StatusOK
		})
		w := newWorker(s, c, a.srv.URL)
		if _, err := w.Step(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Step with its context cancelled mid-send = %v, want context.Canceled", err)
		}
		if ev := event(t, s, id); ev.State != payresult.DeliveryPending || ev.Attempts != 0 {
			t.Fatalf("after the kill: state %s, attempts %d; want pending, 0", ev.State, ev.Attempts)
		}

		step(t, w, 0) // still leased to the dead worker
		c.Advance(time.Minute + time.Second)
		step(t, w, 1)
		if ev := event(t, s, id); ev.State != payresult.DeliveryDelivered {
			t.Errorf("after the lease ran out: state %s, want delivered", ev.State)
		}
		checkSameEvent(t, a.requests(), id, 2)
	})
}

// TestDeadAfterSchedule shows that an event the app never accepts is
// retried through the whole schedule and then dead, with its last error.
func TestDeadAfterSchedule(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		c := newClock()
		id := seedEvents(t, s, c, 1)[0]
		a := newApp(t, c, func(int, *http.Request) int { return http.StatusServiceUnavailable })
		w := newWorker(s, c, a.srv.URL)
		w.Backoff = []time.Duration{time.Minute, time.Hour}
		for attempt := 1; attempt <= 3; attempt++ {
			step(t, w, 1)
			c.Advance(2 * time.Hour)
		}
		ev := event(t, s, id)
		if ev.State != payresult.DeliveryDead || ev.Attempts != 3 || !strings.Contains(ev.LastError, "HTTP 503") {
			t.Errorf("after 3 failures: state %s, attempts %d, last error %q; want dead, 3, HTTP 503", ev.State, ev.Attempts, ev.LastError)
		}
		c.Advance(30 * 24 * time.Hour)
		step(t, w, 0) // dead events are never sent again
		checkSameEvent(t, a.requests(), id, 3)
	})
}

func TestDefaultBackoffLastsThreeDays(t *testing.T) {
	var sum time.Duration
	for _, d := range outbox.DefaultBackoff {
		sum += d
	}
	if sum < 72*time.Hour {
		t.Errorf("DefaultBackoff adds up to %s, want at least 3 days", sum)
	}
}

// TestNoURLKeepsEventsInFeed shows the feed-only mode: nothing is claimed
// or sent, and the events stay pending for a URL configured later.
func TestNoURLKeepsEventsInFeed(t *testing.T) {
	s := testdb.OpenSQLite(t)
	c := newClock()
	id := seedEvents(t, s, c, 1)[0]
	w := newWorker(s, c, "")
	step(t, w, 0)
	if err := w.Run(context.Background()); err != nil {
		t.Errorf("Run without a URL = %v, want nil", err)
	}
	if ev := event(t, s, id); ev.State != payresult.DeliveryPending || ev.Attempts != 0 {
		t.Errorf("state %s, attempts %d; want pending, 0", ev.State, ev.Attempts)
	}
}

// TestBadConfigChangesNothing shows that a misconfigured worker refuses to
// start and claims nothing.
func TestBadConfigChangesNothing(t *testing.T) {
	tests := []struct {
		name string
		edit func(w *outbox.Worker)
	}{
		{"relative URL", func(w *outbox.Worker) { w.URL = "/events" }},
		{"not http", func(w *outbox.Worker) { w.URL = "ftp://app.example/events" }},
		{"no secret", func(w *outbox.Worker) { w.Secret = "" }},
		{"bad whsec_ secret", func(w *outbox.Worker) { w.Secret = "whsec_%%%" }},
		{"timeout not shorter than the lease", func(w *outbox.Worker) { w.Timeout = time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testdb.OpenSQLite(t)
			c := newClock()
			id := seedEvents(t, s, c, 1)[0]
			w := newWorker(s, c, "http://127.0.0.1:1/events")
			tt.edit(w)
			if _, err := w.Step(context.Background()); payresult.KindOf(err) != payresult.KindInvalid {
				t.Errorf("Step = %v, want a %s error", err, payresult.KindInvalid)
			}
			if err := w.Run(context.Background()); payresult.KindOf(err) != payresult.KindInvalid {
				t.Errorf("Run = %v, want a %s error", err, payresult.KindInvalid)
			}
			if ev := event(t, s, id); ev.State != payresult.DeliveryPending || ev.Attempts != 0 {
				t.Errorf("state %s, attempts %d; want pending, 0", ev.State, ev.Attempts)
			}
		})
	}
}

// TestRunDeliversUntilStopped: Run delivers what is due and returns nil
// once its context is cancelled.
func TestRunDeliversUntilStopped(t *testing.T) {
	s := testdb.OpenSQLite(t)
	c := newClock()
	ids := seedEvents(t, s, c, 3)
	a := newApp(t, c, func(int, *http.Request) int { return http.StatusOK })
	w := newWorker(s, c, a.srv.URL)
	w.PollInterval = 10 * time.Millisecond
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	delivered := func() bool {
		for _, id := range ids {
			if event(t, s, id).State != payresult.DeliveryDelivered {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(10 * time.Second)
	for !delivered() {
		if time.Now().After(deadline) {
			t.Fatalf("Run did not deliver all %d events within 10s", len(ids))
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	checkDistinctEvents(t, a.requests(), len(ids))
}

// checkDistinctEvents checks that the app got want requests, each for a
// different event.
func checkDistinctEvents(t *testing.T, got []received, want int) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.id] = true
	}
	if len(got) != want || len(seen) != want {
		t.Errorf("app got %d requests for %d events, want %d for %d", len(got), len(seen), want, want)
	}
}
