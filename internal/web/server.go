// Package web is payresult's HTTP surface: PortOne's redirect and webhook,
// the buyer's result pages, the app API with its OpenAPI document, health
// checks, and in sandbox mode the demo shop and the mounted emulator.
// Every route is listed in routes.go.
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/payresult/payresult"
)

// Config is what the HTTP surface needs. Processor, Store and APIKey are
// required.
type Config struct {
	Processor *payresult.Processor
	Store     payresult.Store
	// APIKey is the bearer key of the app API.
	APIKey string
	// ResultKey signs the results sent to orders' success and fail URLs
	// and the links of the result pages.
	ResultKey []byte
	// PublicURL is where browsers and PortOne reach this server, without a
	// trailing slash: "https://pay.example.com".
	PublicURL string
	// Sandbox turns on the demo shop, and Emulator is mounted at
	// /sandbox/. MerchantCode is what the demo passes to IMP.init.
	Sandbox      bool
	Emulator     http.Handler
	MerchantCode string
	// DemoV2, in sandbox mode, lets the demo shop pay through PortOne V2.
	DemoV2 *DemoV2
	// V2WebhookSecret checks the signatures of PortOne V2's webhooks at
	// /portone/v2/webhook; empty refuses them all.
	V2WebhookSecret string
	// WebhookAllow, when not empty, is the only sources /portone/webhook
	// and /portone/v2/webhook accept. X-Forwarded-For is believed only from TrustedProxies.
	WebhookAllow   []netip.Prefix
	TrustedProxies []netip.Prefix
	// Admin and Metrics, when set, are mounted at /admin and /metrics:
	// the operator's page and the Prometheus scrape.
	Admin   http.Handler
	Metrics http.Handler
	// OnRequest, when set, is told of every request answered: the route
	// pattern that served it ("" when none did), its status and how long
	// it took. Serve counts them in the metrics.
	OnRequest func(route string, status int, elapsed time.Duration)
	// Logger defaults to slog.Default(); Now to time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

// Server serves payresult's HTTP surface. Create it with New.
type Server struct {
	cfg      Config
	log      *slog.Logger
	handler  http.Handler
	redirect *payresult.RedirectHandler
	webhook  *payresult.WebhookHandler
	// redirectV2 and webhookV2 are PortOne V2's.
	redirectV2 *payresult.RedirectHandler
	webhookV2  *payresult.V2WebhookHandler
	// confirming bounds the requests that run Confirm (limit.go).
	confirming *limiter
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	s.cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	s.redirect = &payresult.RedirectHandler{
		Processor: cfg.Processor, ResultKey: cfg.ResultKey,
		Render: s.renderRedirect, Logger: s.log, Now: s.cfg.Now,
	}
	s.webhook = &payresult.WebhookHandler{Processor: cfg.Processor, Logger: s.log}
	s.redirectV2 = &payresult.RedirectHandler{
		Processor: cfg.Processor, ResultKey: cfg.ResultKey, API: payresult.APIV2,
		Render: s.renderRedirect, Logger: s.log, Now: s.cfg.Now,
	}
	s.webhookV2 = &payresult.V2WebhookHandler{Processor: cfg.Processor, Secret: cfg.V2WebhookSecret, Logger: s.log, Now: s.cfg.Now}
	s.confirming = newLimiter(DefaultMaxConfirming, DefaultMaxWaiting)
	s.handler = s.mux()
	return s
}

// ServeHTTP implements http.Handler. Every answer carries the request's
// id (X-Request-Id), which every log line of the request repeats. It logs
// every request but the health checks, which load balancers call every
// few seconds, and reports each one to OnRequest.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	r = withRequestID(w, r)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.handler.ServeHTTP(rec, r)
	elapsed := time.Since(start)
	if s.cfg.OnRequest != nil {
		s.cfg.OnRequest(r.Pattern, rec.status, elapsed)
	}
	if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		return
	}
	s.log.InfoContext(r.Context(), "http", "method", r.Method, "path", r.URL.Path, "route", r.Pattern, "status", rec.status,
		"duration", elapsed)
}

// statusRecorder remembers the status a handler sent, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// fail sends err through writeError with the server's logger.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.log, err)
}

// healthz says the process is up; it touches nothing.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says the store answers, so a load balancer sends traffic only to
// an instance that can record results.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Store.Ping(r.Context()); err != nil {
		s.fail(w, r, payresult.WrapError(payresult.KindTransient, err, "the database does not answer"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// Flush lets streaming handlers (the emulator's) flush through the recorder.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
