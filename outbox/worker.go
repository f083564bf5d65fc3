// Package outbox delivers payresult's events to the app: it claims due
// rows of the outbox that Confirm writes in the same transaction as each
// state change, POSTs them to the app's URL with Standard Webhooks
// signatures, and records the outcome, retrying with backoff for days.
//
// Delivery is at least once. An event is sent again when the app fails,
// times out or answers anything but 2xx, and also when a worker stops
// between sending and recording (a crash, or its context cancelled): its
// claim then runs out and another round sends it again. Apps de-duplicate
// on the webhook-id header, which is the event's stable ID. Events are not
// ordered across retries; the feed (Store.Events) is the ordered view.
//
// Several workers, in one process or in several instances on one
// PostgreSQL database, share the outbox safely: Store.ClaimEvents leases
// each event to one claimer (FOR UPDATE SKIP LOCKED on PostgreSQL), and a
// send is bounded by Timeout, which must be shorter than the lease, so no
// two workers send one event at the same time.
//
// With no URL configured the worker does nothing: events stay pending in
// the outbox and readable in the feed, and are delivered if a URL is
// configured later.
package outbox

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/payresult/payresult"
)

// Defaults for the optional fields of Worker.
const (
	DefaultBatchSize    = 16
	DefaultLease        = time.Minute
	DefaultTimeout      = 15 * time.Second
	DefaultPollInterval = time.Second
)

// Store is what event delivery needs from payresult's store: the outbox's
// due events, leased so that several workers share them, and a place to
// record each attempt. payresult's sqlite and postgres stores are Stores.
type Store interface {
	// ClaimEvents leases up to limit undelivered events whose next attempt
	// is due at now, for lease (see payresult.Store).
	ClaimEvents(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]payresult.Event, error)
	// UpdateDelivery records the outcome of one delivery attempt.
	UpdateDelivery(ctx context.Context, d *payresult.Delivery) error
}

// Worker delivers due events. Store, URL and Secret are required for
// delivery; the other fields have defaults. A Worker must not be changed
// after its first Step or Run.
type Worker struct {
	// Store holds the outbox: the store the Processor writes events to.
	Store Store
	// URL is the app's events endpoint. Empty means feed only: Step and
	// Run do nothing.
	URL string
	// Secret signs every delivery: a Standard Webhooks secret, the key in
	// base64 with or without a whsec_ prefix (see payresult.WebhookKey).
	Secret string
	// HTTPClient defaults to a client that does not follow redirects (a
	// 3xx is a failed delivery, like any answer but 2xx).
	HTTPClient *http.Client
	// Now defaults to time.Now; tests inject a clock.
	Now    func() time.Time
	Logger *slog.Logger
	// Backoff is the wait after each failed attempt (DefaultBackoff when
	// nil); once it is used up the event is dead.
	Backoff []time.Duration
	// BatchSize is how many events one Step claims and sends at once.
	BatchSize int
	// Lease is how long a claim keeps other workers off an event; it must
	// exceed Timeout.
	Lease time.Duration
	// Timeout bounds one delivery: connecting, sending and the answer.
	Timeout time.Duration
	// PollInterval is how long Run waits when nothing was due.
	PollInterval time.Duration
}

// Step claims the due events, sends each one and records each outcome. It
// returns how many events it attempted. An error means the store failed or
// the worker is misconfigured; failed deliveries are not errors, they are
// recorded and retried. If ctx is cancelled mid-round, outcomes not yet
// recorded are dropped on purpose: those events are sent again once their
// lease runs out.
func (w *Worker) Step(ctx context.Context) (int, error) {
	if w.URL == "" {
		return 0, nil
	}
	if err := w.check(); err != nil {
		return 0, err
	}
	events, err := w.Store.ClaimEvents(ctx, w.now(), w.batchSize(), w.lease())
	if err != nil {
		return 0, err
	}
	errs := make([]error, len(events))
	var wg sync.WaitGroup
	for i := range events {
		wg.Go(func() { errs[i] = w.deliverAndRecord(ctx, &events[i]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return len(events), err
		}
	}
	return len(events), nil
}

// Run delivers events until ctx is done, then returns nil. Store errors are
// logged and retried after PollInterval.
func (w *Worker) Run(ctx context.Context) error {
	if w.URL == "" {
		w.logger().Info("no events URL is configured: events are kept in the feed only")
		return nil
	}
	if err := w.check(); err != nil {
		return err
	}
	for {
		n, err := w.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.logger().Error("event delivery round failed", "err", err)
		}
		if n > 0 && err == nil {
			continue // more may be due right away
		}
		t := time.NewTimer(w.pollInterval())
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// deliverAndRecord sends one event and stores the outcome.
func (w *Worker) deliverAndRecord(ctx context.Context, ev *payresult.Event) error {
	sendErr := w.send(ctx, ev)
	if ctx.Err() != nil {
		// Stopped between sending and recording: record nothing. The lease
		// runs out and the event goes again (at least once, never lost).
		return ctx.Err()
	}
	d := w.outcome(ev, sendErr, w.now())
	if err := w.Store.UpdateDelivery(ctx, d); err != nil {
		return err
	}
	w.log(ev, d)
	return nil
}

// outcome decides what the attempt that ended with sendErr means for ev.
func (w *Worker) outcome(ev *payresult.Event, sendErr error, now time.Time) *payresult.Delivery {
	d := &payresult.Delivery{EventID: ev.ID, Attempts: ev.Attempts + 1}
	if sendErr == nil {
		d.State, d.DeliveredAt = payresult.DeliveryDelivered, now
		return d
	}
	d.LastError = truncate(sendErr.Error(), 500)
	if wait, ok := nextWait(w.backoff(), d.Attempts); ok {
		d.State, d.NextAttempt = payresult.DeliveryPending, now.Add(wait)
	} else {
		d.State = payresult.DeliveryDead
	}
	return d
}

func (w *Worker) log(ev *payresult.Event, d *payresult.Delivery) {
	attrs := []any{"event_id", ev.ID, "type", ev.Type, "merchant_uid", ev.MerchantUID, "attempts", d.Attempts}
	switch d.State {
	case payresult.DeliveryDelivered:
		w.logger().Debug("event delivered", attrs...)
	case payresult.DeliveryPending:
		w.logger().Warn("event delivery failed; will retry", append(attrs, "err", d.LastError, "next_attempt", d.NextAttempt)...)
	default:
		w.logger().Error("event delivery failed for good; the event is dead", append(attrs, "err", d.LastError)...)
	}
}

// check validates the configuration once delivery is on.
func (w *Worker) check() error {
	if w.Store == nil {
		return payresult.Errorf(payresult.KindInvalid, "outbox: no store")
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return payresult.Errorf(payresult.KindInvalid, "outbox: events URL %q is not an http(s) URL", w.URL)
	}
	if _, err := payresult.WebhookKey(w.Secret); err != nil {
		return payresult.WrapError(payresult.KindInvalid, err, "outbox: events secret")
	}
	if w.timeout() >= w.lease() {
		return payresult.Errorf(payresult.KindInvalid, "outbox: timeout %s must be shorter than the lease %s", w.timeout(), w.lease())
	}
	return nil
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (w *Worker) backoff() []time.Duration {
	if w.Backoff != nil {
		return w.Backoff
	}
	return DefaultBackoff
}

func (w *Worker) batchSize() int       { return positive(w.BatchSize, DefaultBatchSize) }
func (w *Worker) lease() time.Duration { return positive(w.Lease, DefaultLease) }
func (w *Worker) timeout() time.Duration {
	return positive(w.Timeout, DefaultTimeout)
}
func (w *Worker) pollInterval() time.Duration { return positive(w.PollInterval, DefaultPollInterval) }

func positive[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
