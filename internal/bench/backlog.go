package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/reconcile"
)

// Defaults of BacklogConfig.
const (
	DefaultBacklogOutage  = time.Hour
	DefaultChecksSample   = 200
	DefaultBacklogMaxWait = 10 * time.Minute
	// backlogStep is how many orders are registered and paid at one
	// moment of the outage's simulated clock.
	backlogStep = 500
)

// BacklogConfig is the recovery scenario: a webhook outage during a sale
// left Orders paid payments whose webhooks and redirects were all lost,
// and payresult starts with every one of them pending.
type BacklogConfig struct {
	// Orders is the size of the backlog.
	Orders int
	// Outage is how long the payments were being made (spread evenly).
	Outage time.Duration
	// DB is "" for a fresh SQLite file or a postgres:// URL (a fresh
	// schema in it).
	DB string
	// Instances is how many services are started on the store (more than
	// one only on PostgreSQL).
	Instances int
	// ChecksSample is the size of the second backlog, settled by per-order
	// checks alone (no sweeps) at the default rate, from which their time
	// for Orders is extrapolated; 0 means DefaultChecksSample, negative
	// leaves that phase out.
	ChecksSample int
	// MaxWait bounds each phase.
	MaxWait time.Duration
	// StartService starts payresult serve in process.
	StartService StartFunc
	// OpenStore opens payresult's store as serve does.
	OpenStore func(ctx context.Context, db string) (payresult.Store, error)
	// Progress, when set, receives a line per step.
	Progress io.Writer
}

// BacklogReport is what the scenario measured.
type BacklogReport struct {
	Store     string `json:"store"`
	Instances int    `json:"instances"`
	Orders    int    `json:"orders"`
	Outage    string `json:"outage"`
	// Sweeps is the service as it runs (sweeps, then checks).
	Sweeps BacklogPhase `json:"sweeps"`
	// Checks is the per-order checks alone on a sample, and ChecksFor
	// its time extrapolated to Orders at the same rate.
	Checks    *BacklogPhase `json:"checks_only,omitempty"`
	ChecksFor float64       `json:"checks_only_extrapolated_s,omitempty"`
	Goal      string        `json:"goal"`
	Met       bool          `json:"met"`
}

// BacklogPhase is one phase: how long until every order was paid and
// how many PortOne requests that took.
type BacklogPhase struct {
	Orders          int            `json:"orders"`
	Paid            int            `json:"paid"`
	Seconds         float64        `json:"seconds"`
	Requests        int            `json:"requests"`
	PerHundred      float64        `json:"requests_per_100_orders"`
	ByEndpoint      map[string]int `json:"by_endpoint"`
	OrdersPerSecond float64        `json:"orders_per_second"`
}

// backlogGoal is issue 25's goal.
const backlogGoal = "every order settled within 2 minutes, with at most 3 PortOne requests per 100 orders"

// RunBacklog runs the recovery scenario.
func RunBacklog(ctx context.Context, cfg BacklogConfig) (*BacklogReport, error) {
	if cfg.Outage == 0 {
		cfg.Outage = DefaultBacklogOutage
	}
	if cfg.Instances == 0 {
		cfg.Instances = 1
	}
	if cfg.ChecksSample == 0 {
		cfg.ChecksSample = DefaultChecksSample
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = DefaultBacklogMaxWait
	}
	switch {
	case cfg.Orders < 1:
		return nil, errors.New("the backlog needs at least one order")
	case cfg.Instances > 1 && !isPostgres(cfg.DB):
		return nil, errors.New("several instances need a postgres:// store")
	case cfg.StartService == nil || cfg.OpenStore == nil:
		return nil, errors.New("no way to start the service or open its store")
	}
	rep := &BacklogReport{Store: "sqlite", Instances: cfg.Instances, Orders: cfg.Orders, Outage: cfg.Outage.String(), Goal: backlogGoal}
	if isPostgres(cfg.DB) {
		rep.Store = "postgres"
	}
	sw, err := backlogPhase(ctx, &cfg, cfg.Orders, true)
	if err != nil {
		return nil, err
	}
	rep.Sweeps = *sw
	rep.Met = sw.Paid == sw.Orders && sw.Seconds <= 120 && sw.PerHundred <= 3
	if cfg.ChecksSample > 0 {
		ch, err := backlogPhase(ctx, &cfg, cfg.ChecksSample, false)
		if err != nil {
			return nil, err
		}
		rep.Checks = ch
		if ch.Paid > 0 {
			rep.ChecksFor = ch.Seconds * float64(cfg.Orders) / float64(ch.Paid)
		}
	}
	return rep, nil
}

// backlogPhase makes a backlog of n orders on a fresh store and emulator,
// then settles it: with sweeps, by starting the service (Instances of
// it) as serve runs; without, by a reconciler with sweeps turned off and
// otherwise serve's defaults.
func backlogPhase(ctx context.Context, cfg *BacklogConfig, n int, sweeps bool) (_ *BacklogPhase, err error) {
	var cleanups []func() error
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			err = errors.Join(err, cleanups[i]())
		}
	}()
	db, drop, err := backlogDB(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, drop)
	clock := &shiftedClock{}
	em := emulator.New(emulator.Config{Seed: 1, Now: clock.now})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: em, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	cleanups = append(cleanups, func() error { srv.Close(); return em.Close() })
	emuURL := "http://" + ln.Addr().String()
	store, err := cfg.OpenStore(ctx, db)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, store.Close)
	client := &portone.Client{BaseURL: emuURL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}
	proc := &payresult.Processor{Store: store, PortOne: client, Now: clock.now,
		FirstCheckDelay: reconcile.DefaultSchedule[0], Logger: discardLogger()}
	progressf(cfg.Progress, "backlog: %d orders paid over %s, webhooks and redirects lost", n, cfg.Outage)
	if err := makeBacklog(ctx, clock, em, proc, n, cfg.Outage); err != nil {
		return nil, err
	}
	em.ResetRequests()
	start := time.Now()
	if sweeps {
		progressf(cfg.Progress, "backlog: starting %d service(s) with the default reconciler settings", cfg.Instances)
		for range cfg.Instances {
			_, stop, err := cfg.StartService(ctx, ServiceSpec{DB: db, PortOneURL: emuURL,
				PortOneKey: emulator.DefaultAPIKey, PortOneSecret: emulator.DefaultAPISecret, APIKey: benchAPIKey})
			if err != nil {
				return nil, fmt.Errorf("starting the service: %w", err)
			}
			cleanups = append(cleanups, stop)
		}
	} else {
		progressf(cfg.Progress, "backlog: per-order checks alone (sweeps off) at the default rate")
		rec := &reconcile.Reconciler{Store: store, Processor: proc, PortOne: client, SweepInterval: -1, Logger: discardLogger()}
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- rec.Run(rctx) }()
		cleanups = append(cleanups, func() error { stop(); return <-done })
	}
	paid, err := waitPaid(ctx, store, n, cfg.MaxWait, cfg.Progress)
	elapsed := time.Since(start)
	if err != nil {
		return nil, err
	}
	reqs := em.Requests()
	ph := &BacklogPhase{Orders: n, Paid: paid, Seconds: elapsed.Seconds(), Requests: reqs.Total,
		PerHundred: 100 * float64(reqs.Total) / float64(n), ByEndpoint: reqs.ByEndpoint,
		OrdersPerSecond: float64(paid) / elapsed.Seconds()}
	return ph, nil
}

// backlogDB returns a fresh store's database: a SQLite file in a
// temporary directory or a fresh PostgreSQL schema.
func backlogDB(ctx context.Context, base string) (string, func() error, error) {
	if isPostgres(base) {
		return freshSchema(ctx, base, "backlog_"+randomID())
	}
	dir, err := os.MkdirTemp("", "payresult-backlog-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(dir, "payresult.db"), func() error { return os.RemoveAll(dir) }, nil
}

// makeBacklog registers n orders and pays each at the emulator, nobody
// told: the outage's clock moves from outage (plus the first check's
// delay) ago to a moment ago in steps of backlogStep orders.
func makeBacklog(ctx context.Context, clock *shiftedClock, em *emulator.Emulator, proc *payresult.Processor, n int, outage time.Duration) error {
	steps := (n + backlogStep - 1) / backlogStep
	begin := time.Now().Add(-outage - reconcile.DefaultSchedule[0])
	for s := range steps {
		clock.set(begin.Add(time.Duration(s) * outage / time.Duration(steps)))
		lo, hi := s*backlogStep, min(n, (s+1)*backlogStep)
		err := parallel(ctx, hi-lo, func(ctx context.Context, i int) error {
			m := fmt.Sprintf("backlog-%06d", lo+i)
			amount := portone.Won(1000 + int64((lo+i)%9000))
			if _, _, err := proc.CreateOrder(ctx, payresult.NewOrder{MerchantUID: m, Name: "sale item", Amount: amount}); err != nil {
				return err
			}
			res, err := em.Pay(emulator.PaymentRequest{MerchantUID: m, Name: "sale item", Amount: amount,
				RedirectURL: "https://shop.example/return"}, emulator.OutcomePaid)
			if err != nil {
				return err
			}
			res.Release()
			return nil
		})
		if err != nil {
			return fmt.Errorf("making the backlog: %w", err)
		}
	}
	clock.set(time.Time{})
	return nil
}

// waitPaid polls the store until n orders are paid or maxWait has passed,
// and returns how many are paid.
func waitPaid(ctx context.Context, store payresult.Store, n int, maxWait time.Duration, progress io.Writer) (int, error) {
	deadline := time.Now().Add(maxWait)
	last := time.Now()
	for {
		counts, err := store.CountByStatus(ctx)
		if err != nil {
			return 0, err
		}
		paid := counts[payresult.StatusPaid]
		if paid >= n || time.Now().After(deadline) {
			return paid, nil
		}
		if time.Since(last) >= 10*time.Second {
			progressf(progress, "backlog: %d of %d paid", paid, n)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return paid, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// shiftedClock reads a set time while a backlog is made, and the real
// clock once it is cleared.
type shiftedClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *shiftedClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = t
}

func (c *shiftedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

func progressf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// WriteText writes the report for a person.
func (r *BacklogReport) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "backlog recovery: %d paid orders, webhooks and redirects lost over %s; %s, %d instance(s), default rate limit\n",
		r.Orders, r.Outage, r.Store, r.Instances)
	if err != nil {
		return err
	}
	row := func(name string, p *BacklogPhase, note string) {
		fmt.Fprintf(w, "  %-22s %6d/%-6d paid in %7.1f s  %6d PortOne requests (%.2f per 100 orders)  %s\n",
			name, p.Paid, p.Orders, p.Seconds, p.Requests, p.PerHundred, note)
	}
	row("sweeps (as served)", &r.Sweeps, fmt.Sprint(r.Sweeps.ByEndpoint))
	if r.Checks != nil {
		row("per-order checks only", r.Checks, fmt.Sprintf("-> %.0f s (%.0f min) for %d orders, extrapolated", r.ChecksFor, r.ChecksFor/60, r.Orders))
	}
	verdict := "MET"
	if !r.Met {
		verdict = "MISSED"
	}
	_, err = fmt.Fprintf(w, "  goal: %s: %s\n", r.Goal, verdict)
	return err
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
