// Package emulator is payresult's offline PortOne sandbox, V1 and V2 side
// by side: an http.Handler that serves PortOne's REST APIs with the real
// services' wire formats and rules (V1's and V2's share the root and are
// told apart by the Authorization scheme), stand-ins for the iamport.js
// and V2 browser SDK scripts, the payment window, the redirect back to the
// merchant, webhooks (V2's signed per Standard Webhooks), fault injection
// and a JSON control API for tests and scripts.
//
// Mount it in an httptest.Server, run it with `payresult emulator`, or
// mount it under a prefix with http.StripPrefix. New keeps its state in
// memory; Open keeps it in a Storage across restarts.
package emulator

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payresult/payresult/portone"
)

// Default credentials and merchant code. The key is PortOne's public demo
// key; the secret is an 80-character string of our own, as real secrets
// are 80 characters long.
const (
	DefaultAPIKey       = "imp_apikey"
	DefaultAPISecret    = "payresultSandboxSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
	DefaultMerchantCode = "imp19424728"
)

// Config configures an Emulator. The zero value is usable.
type Config struct {
	// APIKey and APISecret are what POST /users/getToken accepts.
	// Defaults: DefaultAPIKey and DefaultAPISecret.
	APIKey, APISecret string
	// MerchantCode is the 고객사 식별코드 ("imp" + 8 digits) that
	// IMP.init is called with. Default DefaultMerchantCode.
	MerchantCode string
	// WebhookURL is the webhook URL set in the console; "" means none.
	// A payment's notice_url replaces it.
	WebhookURL string
	// WebhookContentType is "application/json" (default) or
	// "application/x-www-form-urlencoded", as chosen in the console.
	WebhookContentType string
	// WebhookRetries is how many times a failed webhook is resent (0..5,
	// PortOne's default is 0), WebhookRetryInterval how long apart
	// (default one minute). Faults can change both per run.
	WebhookRetries       int
	WebhookRetryInterval time.Duration
	// Seed makes ids, tokens and fault decisions deterministic.
	Seed int64
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Sandbox marks new payments as test-channel payments (sandbox:true),
	// which GET /payments/{imp_uid} then hides unless include_sandbox=true.
	// It is off by default so that V1 clients written before 2026, which
	// never send include_sandbox, see every payment.
	Sandbox bool
	// PartialCancelKeepsPaid leaves a partly cancelled payment in status
	// paid instead of cancelled (the sources disagree; see the protocol
	// reference §10 item 1).
	PartialCancelKeepsPaid bool
	// HTTPClient sends webhooks; default a client with PortOne's timeouts.
	HTTPClient *http.Client
	// PublicURL is how browsers reach this emulator, for the URLs the
	// window and iamport.js hand out; "" derives it from each request.
	PublicURL string
	// Logger receives one line per webhook attempt and internal failure;
	// default discards.
	Logger *slog.Logger

	// V2 is the PortOne V2 side of the sandbox.
	V2 V2Config
}

// Emulator is an offline PortOne, V1 and V2. It is safe for concurrent
// use.
type Emulator struct {
	cfg Config
	now func() time.Time
	log *slog.Logger
	mux *http.ServeMux

	mu     sync.RWMutex
	ledger ledger
	rng    *rand.Rand // ids; guarded by mu

	// idemMu guards idem, V2's Idempotency-Keys and their answers, apart
	// from mu so that a repeat can be answered while the first request
	// holds mu.
	idemMu sync.Mutex
	idem   map[string]*idemEntry

	tokMu sync.Mutex
	token atomic.Pointer[accessToken]

	faultMu  sync.Mutex
	faults   Faults
	faultRng *rand.Rand // fault decisions; guarded by faultMu

	// store keeps the state across restarts; nil keeps it in memory only.
	store Storage

	hooks     *webhookSender
	requests  requestCounter // REST API requests answered
	closed    chan struct{}  // closed by Close
	closeOnce sync.Once
}

// New returns an Emulator configured by cfg.
func New(cfg Config) *Emulator {
	if cfg.APIKey == "" {
		cfg.APIKey = DefaultAPIKey
	}
	if cfg.APISecret == "" {
		cfg.APISecret = DefaultAPISecret
	}
	if cfg.MerchantCode == "" {
		cfg.MerchantCode = DefaultMerchantCode
	}
	if cfg.WebhookContentType == "" {
		cfg.WebhookContentType = contentTypeJSON
	}
	if cfg.WebhookRetryInterval <= 0 {
		cfg.WebhookRetryInterval = time.Minute
	}
	cfg.WebhookRetries = min(max(cfg.WebhookRetries, 0), maxWebhookRetries)
	cfg.V2 = cfg.V2.withDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := &Emulator{cfg: cfg, now: cfg.Now, log: cfg.Logger, closed: make(chan struct{})}
	if e.now == nil {
		e.now = time.Now
	}
	e.hooks = newWebhookSender(e, cfg.HTTPClient)
	e.ledger = newLedger()
	e.reseed(0)
	e.resetState()
	e.mux = e.routes()
	return e
}

// resetState puts the tokens, faults and fault source back to their
// state right after New.
func (e *Emulator) resetState() {
	e.idemMu.Lock()
	e.idem = map[string]*idemEntry{}
	e.idemMu.Unlock()

	e.tokMu.Lock()
	e.token.Store(nil)
	e.tokMu.Unlock()

	e.faultMu.Lock()
	e.faults = Faults{WebhookRetries: e.cfg.WebhookRetries, WebhookRetryInterval: Duration(e.cfg.WebhookRetryInterval)}
	e.faultRng = rand.New(rand.NewPCG(uint64(e.cfg.Seed), 0x6a09e667f3bcc909))
	e.faultMu.Unlock()
}

// reseed starts the id source at run boot of the seed's sequence: 0 for
// an emulator without Storage, and a new number from the Storage at every
// start and reset of one with it. Callers hold mu.
func (e *Emulator) reseed(boot int64) {
	e.rng = rand.New(rand.NewPCG(uint64(e.cfg.Seed), 0x9e3779b97f4a7c15+uint64(boot)))
}

// ServeHTTP serves the REST API, /v1/iamport.js, the payment window and
// the control API under /__emulator/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mux.ServeHTTP(w, r)
}

// Close stops webhook deliveries in flight and waits for their goroutines.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() { close(e.closed) })
	e.hooks.close()
	return nil
}

// Reset forgets every payment, prepared amount, token and webhook
// delivery and restores the configured faults. Without Storage, ids start
// again from the seed, so a run after Reset repeats the run after New.
// With Storage, its entries are deleted too, but ids go on from a new
// point of its sequence: an id handed out before the reset may still be
// bound to an order somewhere.
func (e *Emulator) Reset() error {
	e.hooks.reset()
	e.mu.Lock()
	var boot int64
	if e.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
		defer cancel()
		err := e.store.Clear(ctx)
		if err == nil {
			boot, err = e.store.Next(ctx, counterBoot)
		}
		if err != nil {
			e.mu.Unlock()
			return storeErr("resetting the sandbox", err)
		}
	}
	e.ledger = newLedger()
	e.reseed(boot)
	e.mu.Unlock()
	e.resetState()
	return nil
}

// Config returns the configuration in effect, with defaults filled in.
func (e *Emulator) Config() Config { return e.cfg }

// nowUnix is the clock in PortOne's unit.
func (e *Emulator) nowUnix() portone.Time { return portone.TimeOf(e.now()) }
