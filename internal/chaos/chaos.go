// Package chaos is payresult's chaos soak. It runs the PortOne emulator
// and `payresult serve` as child processes in live mode against it, plays
// payments of every outcome, through PortOne V1 and V2 side by side, (and the attacks: tampered amounts, replayed
// imp_uids) through the emulator's control API and payresult's redirect
// endpoint while PortOne misbehaves and the service is killed with
// SIGKILL, waits for the reconciler to converge, and then checks
// payresult's promises against the emulator's ledger: no payment lost,
// none announced twice, no forgery accepted, every forgery cancelled at
// PortOne exactly once and no honest payment cancelled.
//
// A seed fixes the plan (the payments, the fault phases and the kills);
// the interleaving of concurrent requests still varies from run to run.
package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/payresult/payresult/portone/emulator"
)

// Defaults of the optional Config fields.
const (
	DefaultPayments          = 300
	DefaultConcurrency       = 8
	DefaultConvergeTimeout   = 3 * time.Minute
	DefaultReconcileSchedule = "250ms,500ms,1s,2s,4s,8s,15s,30s,60s"
	DefaultReconcileInterval = 200 * time.Millisecond
	DefaultProgressEvery     = 2 * time.Second
)

// apiKey is the app API key the soak gives its serve instances.
const apiKey = "chaos_soak_api_key_0123456789"

// Config sets up a soak. Binary is required; the rest has defaults.
type Config struct {
	// Binary is the payresult executable run as `payresult serve`.
	Binary string
	// DB is empty for a SQLite file of the run's own, or a postgres:// URL:
	// the soak then works in a fresh schema of that database.
	DB string
	// Instances is how many serve processes share the database: 1 for
	// SQLite, default 2 for PostgreSQL.
	Instances int
	// Payments is how many payment flows are played.
	Payments int
	// Kills is how many SIGKILLs are sent, spread over the run; default
	// one per 400 payments, at least 3.
	Kills int
	// Seed fixes the plan; runs with the same seed play the same flows,
	// faults and kills.
	Seed int64
	// Concurrency is how many flows are played at once.
	Concurrency int
	// Dir holds the run's directory (SQLite file, serve logs); default
	// the system's temporary directory. A run's directory is removed when
	// it passes, unless Keep is set.
	Dir  string
	Keep bool
	// ConvergeTimeout bounds the wait for the reconciler after the last
	// payment.
	ConvergeTimeout time.Duration
	// ReconcileSchedule and ReconcileInterval are given to serve
	// (PAYRESULT_RECONCILE_SCHEDULE, PAYRESULT_RECONCILE_INTERVAL).
	ReconcileSchedule string
	ReconcileInterval time.Duration
	// Progress receives a line every ProgressEvery while the soak runs;
	// nil discards.
	Progress      io.Writer
	ProgressEvery time.Duration
}

func (c Config) apiKey() string { return apiKey }

// isPostgres reports whether DB names a PostgreSQL database.
func (c Config) isPostgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

// withDefaults fills the optional fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Binary == "" {
		return c, errNoBinary
	}
	if c.DB != "" && !c.isPostgres() {
		return c, fmt.Errorf("chaos: database %q is not a postgres:// URL (leave it empty for SQLite)", c.DB)
	}
	switch {
	case c.Instances == 0 && c.isPostgres():
		c.Instances = 2
	case c.Instances == 0:
		c.Instances = 1
	case c.Instances > 1 && !c.isPostgres():
		return c, errors.New("chaos: several instances need PostgreSQL; SQLite runs one")
	case c.Instances < 0 || c.Instances > 8:
		return c, fmt.Errorf("chaos: %d instances; use 1 to 8", c.Instances)
	}
	c.Payments = defaultInt(c.Payments, DefaultPayments)
	c.Kills = defaultInt(c.Kills, max(3, c.Payments/400))
	c.Concurrency = defaultInt(c.Concurrency, DefaultConcurrency)
	c.ConvergeTimeout = defaultInt(c.ConvergeTimeout, DefaultConvergeTimeout)
	c.ReconcileInterval = defaultInt(c.ReconcileInterval, DefaultReconcileInterval)
	c.ProgressEvery = defaultInt(c.ProgressEvery, DefaultProgressEvery)
	if c.ReconcileSchedule == "" {
		c.ReconcileSchedule = DefaultReconcileSchedule
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.Payments < 1 || c.Concurrency < 1 || c.Kills < 0 {
		return c, errors.New("chaos: payments and concurrency must be positive, kills not negative")
	}
	return c, nil
}

func defaultInt[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Run plays one soak and returns its report. The error is for a soak that
// could not run (a service that does not start, a database that cannot be
// reached); broken promises are in the report (see Report.OK).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	s, err := setUp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep, err := s.play(ctx)
	if rep != nil {
		rep.Elapsed = time.Since(start)
	}
	s.tearDown(rep != nil && rep.OK() && err == nil)
	return rep, err
}

// soak is one run's moving parts.
type soak struct {
	cfg      Config
	dir      string
	dropDB   func() // removes the fresh PostgreSQL schema
	em       *emulator.Emulator
	emServer *http.Server
	fleet    *fleet
	driver   *driver
	dbKind   string
}

// setUp starts the emulator and the serve fleet.
func setUp(ctx context.Context, cfg Config) (*soak, error) {
	dir, err := os.MkdirTemp(cfg.Dir, "payresult-chaos-")
	if err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	s := &soak{cfg: cfg, dir: dir, dropDB: func() {}, dbKind: "sqlite"}
	dbURL := dir + "/payresult.db"
	if cfg.isPostgres() {
		s.dbKind = "postgres"
		if dbURL, s.dropDB, err = freshSchema(ctx, cfg.DB, cfg.Seed); err != nil {
			s.tearDown(false)
			return nil, err
		}
	}
	emURL, err := s.startEmulator()
	if err != nil {
		s.tearDown(false)
		return nil, err
	}
	env := append(childEnv(),
		"PAYRESULT_DB="+dbURL,
		"PORTONE_API_KEY="+emulator.DefaultAPIKey, "PORTONE_API_SECRET="+emulator.DefaultAPISecret,
		"PORTONE_API_URL="+emURL, "PAYRESULT_API_KEY="+apiKey,
		// PortOne V2 beside V1: one payresult serves orders of both.
		"PORTONE_V2_API_SECRET="+emulator.DefaultV2APISecret, "PORTONE_V2_STORE_ID="+emulator.DefaultV2StoreID,
		"PORTONE_V2_WEBHOOK_SECRET="+emulator.DefaultV2WebhookSecret, "PORTONE_V2_API_URL="+emURL,
		"PAYRESULT_RECONCILE_SCHEDULE="+cfg.ReconcileSchedule,
		"PAYRESULT_RECONCILE_INTERVAL="+cfg.ReconcileInterval.String(),
		// A killed instance's claims hold its orders for a lease; a short
		// one lets the survivors (or the restart) take them over soon.
		"PAYRESULT_RECONCILE_LEASE=10s",
		"PAYRESULT_RECONCILE_RATE=-1", "PAYRESULT_SHUTDOWN_TIMEOUT=1s")
	if s.fleet, err = newFleet(cfg.Binary, dir, cfg.Instances, env); err != nil {
		s.tearDown(false)
		return nil, err
	}
	if err := s.fleet.startAll(ctx); err != nil {
		s.tearDown(false)
		return nil, err
	}
	s.driver = newDriver(cfg, newPlan(cfg), s.fleet, s.em, emURL)
	return s, nil
}

// startEmulator serves a fresh emulator on a loopback port.
func (s *soak) startEmulator() (string, error) {
	s.em = emulator.New(emulator.Config{Seed: s.cfg.Seed, Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("chaos: emulator: %w", err)
	}
	s.emServer = &http.Server{Handler: s.em, ReadHeaderTimeout: 10 * time.Second}
	go s.emServer.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// tearDown stops everything; the run's directory stays unless the run
// passed and Keep is off, so that a failure can be read in serve's logs.
func (s *soak) tearDown(passed bool) {
	if s.fleet != nil {
		s.fleet.close()
	}
	if s.emServer != nil {
		s.emServer.Close()
		s.em.Close()
	}
	if passed && !s.cfg.Keep {
		s.dropDB()
		os.RemoveAll(s.dir)
		return
	}
	fmt.Fprintf(s.cfg.Progress, "chaos: the run's files (serve logs, database) are kept in %s\n", s.dir)
}

// play drives the flows, lets the reconciler settle, and checks.
func (s *soak) play(ctx context.Context) (*Report, error) {
	d := s.driver
	stop := s.progress(ctx)
	err := d.drive(ctx)
	stop()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(s.cfg.Progress, "chaos: %d payments played, %d kills; faults off, waiting for the reconciler\n", len(d.plan.flows), d.kills.Load())
	if err := d.putFaults(ctx, emulator.Faults{}); err != nil {
		return nil, err
	}
	if err := s.fleet.startAll(ctx); err != nil {
		return nil, err
	}
	settle, err := d.converge(ctx, s.cfg.ConvergeTimeout, func(left int) {
		fmt.Fprintf(s.cfg.Progress, "chaos: settling, %d orders not yet in their expected state\n", left)
	})
	if err != nil {
		return nil, err
	}
	rep, err := s.check(ctx)
	if rep != nil {
		rep.Settle = settle
	}
	return rep, err
}

// progress prints a line every ProgressEvery until the returned func is
// called.
func (s *soak) progress(ctx context.Context) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	wg.Go(func() {
		t := time.NewTicker(s.cfg.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				d := s.driver
				fmt.Fprintf(s.cfg.Progress, "chaos: %5s  payments %d/%d started, %d done, %d kills, faults: %s\n",
					time.Since(start).Round(time.Second), d.started.Load(), len(d.plan.flows), d.finished.Load(), d.kills.Load(), d.phaseName.Load())
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
