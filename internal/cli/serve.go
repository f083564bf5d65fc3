package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/admin"
	"github.com/payresult/payresult/internal/metrics"
	"github.com/payresult/payresult/internal/web"
	"github.com/payresult/payresult/outbox"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
	"github.com/payresult/payresult/postgres"
	"github.com/payresult/payresult/reconcile"
	"github.com/payresult/payresult/sqlite"
)

// runServe runs the payresult service until ctx is done, then shuts it down
// gracefully: requests in flight finish, background workers stop, and the
// store is closed last.
func runServe(ctx context.Context, env Env) error {
	cfg, err := loadServeConfig(env)
	if cfg == nil {
		return err
	}
	log := newLogger(cfg.LogFormat, env.Stderr)
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	lns, err := listen(cfg)
	if err != nil {
		return err
	}
	svc, err := newService(ctx, cfg, store, sandboxStorage(store), lns.main.Addr().(*net.TCPAddr), log)
	if err != nil {
		lns.close()
		return err
	}
	defer svc.close()
	svc.announce(env.Stdout, lns)
	return svc.serve(ctx, lns)
}

// listeners are serve's: the main one, and /metrics's own when
// PAYRESULT_METRICS_ADDR asks for one.
type listeners struct {
	main, metrics net.Listener
}

// listen opens serve's listeners; when one fails, none stays open.
func listen(cfg *serveConfig) (*listeners, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	lns := &listeners{main: ln}
	if cfg.MetricsAddr != "" {
		if lns.metrics, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return nil, fmt.Errorf("listening on %s for /metrics (PAYRESULT_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
	}
	return lns, nil
}

func (l *listeners) close() {
	l.main.Close()
	if l.metrics != nil {
		l.metrics.Close()
	}
}

// service is one running payresult serve: the HTTP server and what it wires
// together.
type service struct {
	cfg     *serveConfig
	log     *slog.Logger
	store   payresult.Store
	gateway *portone.Client
	// gatewayV2 answers for V2 orders; nil when V2 is not served.
	gatewayV2 *payresult.V2Gateway
	// reconciler runs with the workers; metrics and the admin page read
	// its sweeps' progress.
	reconciler *reconcile.Reconciler
	// noReconciler leaves the reconciler stopped (bench's load phases).
	noReconciler bool
	proc         *payresult.Processor
	emulator     *emulator.Emulator // nil in live mode
	metrics      *metrics.Metrics
	http         *http.Server
	// metricsHTTP serves /metrics alone, on PAYRESULT_METRICS_ADDR; nil
	// when /metrics is served by http.
	metricsHTTP *http.Server
	localURL    string // loopback URL of this server, for its own calls
	public      string // URL browsers and PortOne use
}

// newService wires a service on store. In sandbox mode its emulator keeps
// its state in sandbox (see sandboxStorage), or in memory when nil.
func newService(ctx context.Context, cfg *serveConfig, store payresult.Store, sandbox emulator.Storage, addr *net.TCPAddr, log *slog.Logger) (*service, error) {
	s := &service{cfg: cfg, log: log, store: store}
	s.localURL, s.public = serverURLs(addr, cfg.PublicURL)
	s.gateway = &portone.Client{BaseURL: cfg.PortOneURL, Key: cfg.PortOneKey, Secret: cfg.PortOneSecret, OnRetry: s.logRetry}
	webCfg := web.Config{
		Store: store, APIKey: cfg.APIKey, ResultKey: cfg.ResultKey(), PublicURL: s.public,
		WebhookAllow: cfg.WebhookAllow, TrustedProxies: cfg.TrustedProxies, Logger: log,
	}
	if cfg.Sandbox {
		emCfg := emulator.Config{
			WebhookURL: s.localURL + "/portone/webhook",
			PublicURL:  s.public + "/sandbox",
			Logger:     log.With("component", "emulator"),
			V2:         emulator.V2Config{WebhookURL: s.localURL + "/portone/v2/webhook"},
		}
		var err error
		if s.emulator, err = openEmulator(ctx, emCfg, sandbox); err != nil {
			return nil, err
		}
		ec := s.emulator.Config()
		// The processor calls the emulator over loopback like any PortOne
		// client, so faults injected into the emulator reach it.
		s.gateway = &portone.Client{BaseURL: s.localURL + "/sandbox", Key: ec.APIKey, Secret: ec.APISecret}
		s.gateway.OnRetry = s.logRetry
		webCfg.Sandbox, webCfg.Emulator, webCfg.MerchantCode = true, s.emulator, ec.MerchantCode
		webCfg.DemoV2 = &web.DemoV2{StoreID: ec.V2.StoreID, ChannelKey: emulator.DefaultV2ChannelKey}
		s.gatewayV2 = &payresult.V2Gateway{Client: &portonev2.Client{BaseURL: s.localURL + "/sandbox", Secret: ec.V2.APISecret,
			StoreID: ec.V2.StoreID, OnRetry: s.logRetry}}
		webCfg.V2WebhookSecret = ec.V2.WebhookSecret
	} else if cfg.HasV2() {
		s.gatewayV2 = &payresult.V2Gateway{Client: &portonev2.Client{BaseURL: cfg.PortOneV2URL, Secret: cfg.PortOneV2Secret,
			StoreID: cfg.PortOneV2StoreID, OnRetry: s.logRetry}}
		webCfg.V2WebhookSecret = cfg.PortOneV2WebhookSecret
	}
	s.proc = &payresult.Processor{
		Store: store, AcceptTestPayments: cfg.Sandbox || cfg.AcceptTestPayments, DefaultAPI: cfg.DefaultAPI(),
		Logger: log.With("component", "processor"), FirstCheckDelay: reconcile.DefaultSchedule[0],
	}
	if cfg.HasV1() {
		s.proc.PortOne = s.gateway
	}
	if s.gatewayV2 != nil {
		s.proc.PortOneV2 = s.gatewayV2
	}
	if len(cfg.ReconcileSchedule) > 0 {
		s.proc.FirstCheckDelay = cfg.ReconcileSchedule[0]
	}
	webCfg.Processor = s.proc
	s.reconciler = &reconcile.Reconciler{
		Store: s.store, Processor: s.proc,
		Schedule: cfg.ReconcileSchedule, Interval: cfg.ReconcileInterval, RateLimit: cfg.ReconcileRate,
		Lease:  cfg.ReconcileLease,
		Logger: log.With("component", "reconciler"),
	}
	s.instrument(&webCfg)
	s.http = s.httpServer(web.New(webCfg))
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.metrics.Handler())
		s.metricsHTTP = s.httpServer(mux)
	}
	return s, nil
}

// httpServer is an HTTP server with serve's timeouts.
func (s *service) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      90 * time.Second, // Confirm may wait on PortOne's retries
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// logRetry logs each retried PortOne call: a run of these is the first
// sign that PortOne is struggling.
func (s *service) logRetry(endpoint string, attempt int, err error, wait time.Duration) {
	s.log.Warn("PortOne call failed; retrying", "endpoint", endpoint, "attempt", attempt, "wait", wait, "err", err)
}

// instrument adds the metrics (PortOne client, processor, /metrics) and
// the admin page.
func (s *service) instrument(webCfg *web.Config) {
	s.metrics = metrics.New(metrics.Options{
		Store: s.store, Logger: s.log.With("component", "metrics"), Build: buildInfo(), Outbox: s.cfg.EventsURL != "",
	})
	s.metrics.InstrumentPortOne(s.gateway)
	if s.gatewayV2 != nil {
		s.metrics.InstrumentPortOneV2(s.gatewayV2.Client)
	}
	s.metrics.ObserveSweeps(s.reconciler.SweepStatus)
	s.proc.Metrics = s.metrics
	webCfg.OnRequest = s.metrics.ObserveHTTP
	if s.cfg.MetricsAddr == "" {
		webCfg.Metrics = s.metrics.Handler()
	}
	if s.cfg.AdminPassword == "" {
		s.log.Info("admin page off: PAYRESULT_ADMIN_PASSWORD is not set")
		return
	}
	adm, err := admin.New(admin.Config{
		Store: s.store, Processor: s.proc, Password: s.cfg.AdminPassword, FeedOnly: s.cfg.EventsURL == "",
		ClientAddr: web.ClientAddr(s.cfg.TrustedProxies), Logger: s.log.With("component", "admin"),
		Sweeps: s.reconciler.SweepStatus,
	})
	if err != nil {
		s.log.Error("admin page off", "err", err)
		return
	}
	webCfg.Admin = adm
}

// serverURLs returns the loopback URL this server calls itself at, and the
// public URL: the configured one, or one derived from the bound address.
func serverURLs(addr *net.TCPAddr, configured string) (local, public string) {
	port := strconv.Itoa(addr.Port)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
		local = "http://127.0.0.1:" + port
	} else {
		local = "http://" + net.JoinHostPort(host, port)
	}
	public = configured
	if public == "" {
		public = "http://" + net.JoinHostPort(host, port)
	}
	return local, public
}

// announce tells the operator what is running. The "listening on" line is
// what tests (and scripts) read to find the bound port.
func (s *service) announce(w io.Writer, lns *listeners) {
	if s.cfg.Sandbox {
		s.log.Warn("SANDBOX MODE: no PortOne credentials are set; PortOne is emulated and no real payment is possible",
			"emulator", s.public+"/sandbox/", "demo_shop", s.public+"/")
		if s.cfg.AddrExposed {
			s.log.Warn("SANDBOX MODE on an address beyond loopback: anyone who reaches it can drive the sandbox's control API "+
				"(unauthenticated) and make payresult send requests to any notice_url; keep it on 127.0.0.1 unless the network is yours",
				"addr", s.cfg.Addr)
		}
		fmt.Fprintf(w, `
  ============================================================
   payresult: SANDBOX MODE (no PORTONE_API_KEY / PORTONE_API_SECRET)
   PortOne V1 and V2 are emulated at %s/sandbox/
   (their REST APIs also at %s/); no real money moves.
   Demo shop:   %s/
   App API key: %s
   Admin page:  %s/admin (user admin, password %s)
  ============================================================

`, s.public, s.public, s.public, shownKey(s.cfg.APIKey), s.public, shownAdminPassword(s.cfg.AdminPassword))
		if s.cfg.AddrExposed {
			fmt.Fprintf(w, "  WARNING: listening on %s, beyond loopback: the sandbox's control API is open to\n"+
				"  anyone who reaches it. Without PAYRESULT_ADDR it stays on %s.\n\n", s.cfg.Addr, sandboxAddr)
		}
	} else {
		s.log.Info("live mode", "portone", s.gateway.BaseURL, "accept_test_payments", s.cfg.AcceptTestPayments)
	}
	bi, _ := readBuildInfo()
	s.log.Info("payresult serve started", "addr", s.localURL, "public_url", s.public, "db", dbKind(s.cfg),
		"version", buildVersion(bi))
	if lns.metrics != nil {
		s.log.Info("metrics served on their own address", "metrics", "http://"+lns.metrics.Addr().String()+"/metrics")
		fmt.Fprintf(w, "metrics on http://%s/metrics\n", lns.metrics.Addr())
	}
	fmt.Fprintf(w, "listening on %s\n", s.localURL)
}

// serve runs the HTTP servers and the background workers until ctx is
// done or a server fails.
func (s *service) serve(ctx context.Context, lns *listeners) error {
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	s.startWorkers(workCtx, &wg)
	servers := []*http.Server{s.http}
	serveErr := make(chan error, 2)
	go func() { serveErr <- s.http.Serve(lns.main) }()
	if s.metricsHTTP != nil {
		servers = append(servers, s.metricsHTTP)
		go func() { serveErr <- s.metricsHTTP.Serve(lns.metrics) }()
	}

	var err error
	select {
	case err = <-serveErr:
		s.log.Error("a server stopped; shutting down", "err", err)
		ctx = context.Background()
	case <-ctx.Done():
	}
	s.log.Info("shutting down: waiting for requests in flight", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	for _, srv := range servers {
		if serr := srv.Shutdown(sctx); serr != nil {
			s.log.Error("requests still in flight at the shutdown timeout", "err", serr)
			_ = srv.Close()
		}
	}
	cancel()
	// Workers stop only after the last request: a Confirm in flight may
	// still append events for the outbox.
	stopWork()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.log.Info("payresult serve stopped")
	return err
}

// startWorkers starts event delivery and the reconciler, each stopped by
// ctx.
func (s *service) startWorkers(ctx context.Context, wg *sync.WaitGroup) {
	worker := &outbox.Worker{
		Store: s.metrics.DeliveryStore(s.store), URL: s.cfg.EventsURL, Secret: s.cfg.EventsSecret,
		Logger: s.log.With("component", "outbox"),
	}
	rec := s.reconciler
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil {
				s.log.Error(name+" stopped", "err", err)
			}
		}()
	}
	run("event delivery", worker.Run)
	if !s.noReconciler {
		run("reconciler", rec.Run)
	}
}

// shownKey prints the well-known sandbox key, never one the operator chose.
func shownKey(key string) string {
	if key == SandboxAPIKey {
		return key
	}
	return "(set by PAYRESULT_API_KEY)"
}

// shownAdminPassword prints the well-known sandbox password, never one
// the operator chose.
func shownAdminPassword(pw string) string {
	if pw == SandboxAdminPassword {
		return pw
	}
	return "(set by PAYRESULT_ADMIN_PASSWORD)"
}

func (s *service) close() {
	if s.emulator != nil {
		_ = s.emulator.Close()
	}
}

// openStore opens the database PAYRESULT_DB names.
func openStore(ctx context.Context, cfg *serveConfig) (payresult.Store, error) {
	if cfg.IsPostgres() {
		st, err := postgres.Open(ctx, cfg.DB)
		if err != nil {
			return nil, fmt.Errorf("opening PostgreSQL (PAYRESULT_DB): %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("opening SQLite file %s (PAYRESULT_DB): %w", cfg.DB, err)
	}
	return st, nil
}

func dbKind(cfg *serveConfig) string {
	if cfg.IsPostgres() {
		return "postgres"
	}
	return "sqlite:" + cfg.DB
}

// newLogger returns serve's logger: text or JSON lines on w, durations
// in seconds, and on every line of a request its request_id.
func newLogger(format string, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: durationsInSeconds}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(web.LogRequestIDs(h))
}

// durationsInSeconds logs every duration as a number of seconds
// ("duration=0.000221"), which log tools can compare and sum, rather than
// Go's "221µs".
func durationsInSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}
