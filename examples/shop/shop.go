package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/outbox"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/reconcile"
	"github.com/payresult/payresult/sqlite"
)

// schedule is the reconciler's wait before each check of an order. A
// shop in production keeps reconcile.DefaultSchedule (a minute, then
// spacing out over four days); the demo's is quick so that it ends in
// a second.
var schedule = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, time.Second}

// waitFor bounds each step of the demo.
const waitFor = 10 * time.Second

// shop is the running demo: the shop's server, the sandbox PortOne and
// payresult's parts wired into the shop.
type shop struct {
	out     io.Writer
	store   *sqlite.Store
	emu     *emulator.Emulator
	proc    *payresult.Processor
	srv     *httptest.Server
	events  chan *payresult.EventEnvelope // verified events the shop received
	pending map[string]*payresult.EventEnvelope
}

// run starts the shop, plays the payments and prints what happens.
func run(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "payresult-shop")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "shop.db"))
	if err != nil {
		return err
	}
	defer store.Close()

	// PortOne: the sandbox. In production: &portone.Client{Key: ..., Secret: ...}.
	emu := emulator.New(emulator.Config{})
	defer emu.Close()
	portOne := httptest.NewServer(emu)
	defer portOne.Close()
	client := &portone.Client{BaseURL: portOne.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}

	quiet := slog.New(slog.DiscardHandler)
	s := &shop{out: out, store: store, emu: emu, events: make(chan *payresult.EventEnvelope, 16), pending: map[string]*payresult.EventEnvelope{}}
	s.proc = &payresult.Processor{Store: store, PortOne: client, FirstCheckDelay: schedule[0], Logger: quiet}
	secret, err := newEventsSecret()
	if err != nil {
		return err
	}
	resultKey, err := payresult.WebhookKey(secret)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/pay/return", &payresult.RedirectHandler{Processor: s.proc, ResultKey: resultKey, Logger: quiet})
	mux.Handle("POST /pay/webhook", &payresult.WebhookHandler{Processor: s.proc, Logger: quiet})
	mux.Handle("POST /payresult-events", s.receive(secret))
	s.srv = httptest.NewServer(mux)
	defer s.srv.Close()

	// Beside the handlers, what payresult serve also runs: the reconciler
	// (lost webhooks, forgery cancels, virtual-account expiry) and event
	// delivery (signed events to the shop, retried for days).
	rec := &reconcile.Reconciler{Store: store, Processor: s.proc, Schedule: schedule, Interval: 50 * time.Millisecond, Logger: quiet}
	delivery := &outbox.Worker{Store: store, URL: s.srv.URL + "/payresult-events", Secret: secret, PollInterval: 20 * time.Millisecond, Logger: quiet}
	runCtx, stop := context.WithCancel(ctx)
	g, runCtx := errgroup.WithContext(runCtx)
	g.Go(func() error { return rec.Run(runCtx) })
	g.Go(func() error { return delivery.Run(runCtx) })

	playErr := s.play(runCtx)
	stop()
	return errors.Join(playErr, g.Wait())
}

// newEventsSecret returns a Standard Webhooks secret: 32 random bytes in
// base64 after whsec_, what PAYRESULT_EVENTS_SECRET holds.
func newEventsSecret() (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key), nil
}

// play runs the payments one after the other.
func (s *shop) play(ctx context.Context) error {
	for _, step := range []func(context.Context) error{s.paidByRedirectAndWebhook, s.paidButNoticesLost, s.refundPart} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// paidByRedirectAndWebhook: the buyer pays, PortOne sends the webhook
// and the browser comes back through the redirect.
func (s *shop) paidByRedirectAndWebhook(ctx context.Context) error {
	if err := s.order(ctx, "order-1001", 12000); err != nil {
		return err
	}
	res, err := s.emu.Pay(emulator.PaymentRequest{
		MerchantUID: "order-1001", Name: "Mug", Amount: portone.Won(12000),
		RedirectURL: s.srv.URL + "/pay/return", NoticeURLs: []string{s.srv.URL + "/pay/webhook"},
	}, emulator.OutcomePaid)
	if err != nil {
		return err
	}
	defer res.Release()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	answer, err := browser.Get(res.RedirectURL)
	if err != nil {
		return err
	}
	answer.Body.Close()
	next, err := url.Parse(answer.Header.Get("Location"))
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "order-1001: the buyer's redirect is answered %d, to %s%s with status=%s\n",
		answer.StatusCode, next.Host, next.Path, next.Query().Get("status"))
	res.Release()
	<-res.Webhooks
	return s.event(ctx, "order-1001", payresult.EventPaid)
}

// paidButNoticesLost: the buyer pays, but PortOne's webhook is lost and
// the browser never comes back. Only the reconciler can find out.
func (s *shop) paidButNoticesLost(ctx context.Context) error {
	if err := s.order(ctx, "order-1002", 30000); err != nil {
		return err
	}
	if err := s.emu.SetFaults(emulator.Faults{WebhookDrop: true}); err != nil {
		return err
	}
	res, err := s.emu.Pay(emulator.PaymentRequest{
		MerchantUID: "order-1002", Name: "Teapot", Amount: portone.Won(30000),
		NoticeURLs: []string{s.srv.URL + "/pay/webhook"},
	}, emulator.OutcomePaid)
	if err != nil {
		return err
	}
	res.Release()
	<-res.Webhooks
	fmt.Fprintln(s.out, "order-1002: paid at PortOne; its webhook is lost and the buyer closed the browser")
	if err := s.event(ctx, "order-1002", payresult.EventPaid); err != nil {
		return err
	}
	return s.decidedBy(ctx, "order-1002")
}

// decidedBy prints where the notice that changed the order came from, as
// its timeline tells.
func (s *shop) decidedBy(ctx context.Context, merchantUID string) error {
	notes, err := s.store.Notes(ctx, merchantUID)
	if err != nil {
		return err
	}
	for _, n := range notes {
		if n.Kind == "transition" {
			fmt.Fprintf(s.out, "%s: settled by the %s\n", merchantUID, n.Source)
		}
	}
	return nil
}

// refundPart refunds part of the first order through the Go API.
func (s *shop) refundPart(ctx context.Context) error {
	// The key names this refund: sent again (after a timeout, say), the
	// request answers the first result and refunds nothing more.
	o, err := s.proc.Refund(ctx, payresult.RefundRequest{
		MerchantUID: "order-1001", Amount: portone.Won(2000), Reason: "one cup broken",
		IdempotencyKey: "order-1001-refund-1",
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "order-1001: refunded %s of %s %s\n", o.RefundedAmount, o.PaidAmount, o.Currency)
	return s.event(ctx, "order-1001", payresult.EventPartiallyRefunded)
}

// order registers an order; its amount is pre-registered at PortOne.
func (s *shop) order(ctx context.Context, merchantUID string, won int64) error {
	_, _, err := s.proc.CreateOrder(ctx, payresult.NewOrder{
		MerchantUID: merchantUID, Name: "demo", Amount: portone.Won(won), SuccessURL: "https://shop.example/thanks",
	})
	return err
}

// receive is the shop's endpoint for payresult's events: it verifies
// each one and hands it to the demo. An event may come more than once;
// a shop de-duplicates on its id.
func (s *shop) receive(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		ev, err := payresult.VerifyEvent(secret, r.Header, body, time.Now())
		switch {
		case readErr != nil:
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		case err != nil:
			w.WriteHeader(http.StatusUnauthorized) // payresult retries, and its log shows the answer
		default:
			select {
			case s.events <- ev:
				w.WriteHeader(http.StatusNoContent)
			case <-r.Context().Done():
			}
		}
	})
}

// event waits for the event of typ about merchantUID and prints the order
// it carries.
func (s *shop) event(ctx context.Context, merchantUID string, typ payresult.EventType) error {
	ctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	key := merchantUID + " " + string(typ)
	for s.pending[key] == nil {
		select {
		case ev := <-s.events:
			s.pending[ev.MerchantUID+" "+string(ev.Type)] = ev
		case <-ctx.Done():
			return fmt.Errorf("no %s event for %s: %w", typ, merchantUID, ctx.Err())
		}
	}
	o, err := s.pending[key].Order()
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "%s: event %s, verified: the order is %s (paid %s, refunded %s)\n",
		merchantUID, typ, o.Status, o.PaidAmount, o.RefundedAmount)
	return nil
}
