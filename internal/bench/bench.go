// Package bench is the harness behind `payresult bench`: it confirms paid
// payments through payresult's webhook and redirect endpoints at several
// concurrency levels, and in the same run measures the floor that any
// verification must pay: one PortOne look-up through the same client and
// one durable commit of the same size on the same store. The report puts
// the two side by side, so that payresult's own overhead is a ratio that
// does not depend on how fast the machine happens to be.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/payresult/payresult"
)

// Defaults of Config.
const (
	DefaultOrders       = 1000
	DefaultMaxLevelTime = 30 * time.Second
	DefaultStartupRuns  = 5
	// setupConcurrency is how many orders are registered and paid at once
	// while preparing a batch; that part is never timed.
	setupConcurrency = 16
	// commitAloneRuns bounds the commits timed apart for Report.CommitAlone.
	commitAloneRuns = 500
)

// DefaultConcurrency is the concurrency levels measured when
// Config.Concurrency is empty.
var DefaultConcurrency = []int{1, 8, 32, 128}

// Config says what to measure. The zero value with StartService set is a
// complete bench on a fresh SQLite file.
type Config struct {
	// Orders is how many orders each path (webhook, redirect) confirms at
	// each level, and how many commits the commit floor makes. The
	// look-up floor and the hop make at least as many, and run on to a
	// quarter of a second when that many end sooner (minRepeatTime).
	Orders int
	// Concurrency lists the levels; empty means DefaultConcurrency.
	Concurrency []int
	// DB is the store: "" for a fresh SQLite file in a temporary
	// directory, a file path, or a postgres:// URL (the bench then works
	// in a fresh schema of that database, dropped at the end).
	DB string
	// PortOneLatency delays every PortOne REST answer, as a real network
	// distance to PortOne would (the emulator's api_latency fault).
	PortOneLatency time.Duration
	// ServiceURL and EmulatorURL, when set (both or neither), target a
	// payresult serve and an emulator that are already running; APIKey is
	// then that service's app API key, and DB must be the service's own
	// database so that the commit floor runs on the same store.
	ServiceURL, EmulatorURL, APIKey string
	// StartService starts payresult in process when ServiceURL is empty.
	StartService StartFunc
	// ServeChild, when set, is a payresult binary whose `serve` is the
	// measured service instead of StartService: a child process whose
	// own peak resident set the report gives apart.
	ServeChild string
	// MaxLevelTime bounds each measured phase; what is not done by then is
	// left out and the phase reports how many it did.
	MaxLevelTime time.Duration
	// ServeBinary, when set, is a payresult binary whose `serve` start-up
	// time is measured StartupRuns times, as a child process.
	ServeBinary string
	StartupRuns int
	// OpenStore, when set, opens payresult's store on a database as serve
	// opens its own, for the local phase: Confirm in this process with
	// PortOne's answers in memory. Nil leaves the phase out.
	OpenStore func(ctx context.Context, db string) (payresult.Store, error)
	// Progress, when set, receives a line as each phase starts.
	Progress io.Writer
	// ProfilePhase, when set, is called as each confirming phase starts,
	// with a name such as "c32-webhook", and the function it returns when
	// the phase ends: a CPU profile of the timed part alone, without the
	// preparation around it.
	ProfilePhase func(name string) (stop func())
}

// ServiceSpec is what an in-process service is started with.
type ServiceSpec struct {
	DB                                    string // SQLite path or postgres:// URL
	PortOneURL, PortOneKey, PortOneSecret string
	// PortOneV2Secret, PortOneV2StoreID and PortOneV2WebhookSecret are
	// PortOne V2's settings, its API at PortOneURL too: the service takes
	// V2 orders beside V1's.
	PortOneV2Secret, PortOneV2StoreID, PortOneV2WebhookSecret string
	APIKey                                                    string // the app API key to accept
	// NoReconciler keeps the service's reconciler from running. The load
	// phases' orders are paid at PortOne and wait for the notices the
	// phases send: the very backlog the reconciler's sweeps and checks
	// settle, so from a run's second minute on (its first sweep of
	// waiting orders) the phases would time the reconciler too. A serve
	// child (--serve-child) runs its reconciler all the same.
	NoReconciler bool
}

// StartFunc starts payresult's service for spec, listening on loopback,
// and returns its base URL and a function that stops it.
type StartFunc func(ctx context.Context, spec ServiceSpec) (url string, stop func() error, err error)

// benchAPIKey is the app API key of the in-process service.
const benchAPIKey = "bench-api-key-0123456789abcdef"

func (c *Config) defaults() error {
	if c.Orders == 0 {
		c.Orders = DefaultOrders
	}
	if len(c.Concurrency) == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MaxLevelTime == 0 {
		c.MaxLevelTime = DefaultMaxLevelTime
	}
	if c.StartupRuns == 0 {
		c.StartupRuns = DefaultStartupRuns
	}
	switch {
	case c.Orders < 1:
		return errors.New("orders must be at least 1")
	case c.PortOneLatency < 0:
		return errors.New("PortOne latency must not be negative")
	case c.MaxLevelTime < 0:
		return errors.New("the time bound of a level must be positive")
	case (c.ServiceURL == "") != (c.EmulatorURL == ""):
		return errors.New("give both the service URL and the emulator URL, or neither")
	case c.ServiceURL != "" && (c.APIKey == "" || c.DB == ""):
		return errors.New("a running service needs its app API key and its database (for the commit floor)")
	case c.ServiceURL == "" && c.StartService == nil && c.ServeChild == "":
		return errors.New("no service to measure: set a service URL or a way to start one")
	}
	for _, n := range c.Concurrency {
		if n < 1 || n > 1024 {
			return fmt.Errorf("concurrency %d is not between 1 and 1024", n)
		}
	}
	return nil
}

// Run runs the bench and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	env, err := setUp(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer env.close()
	rep := &Report{
		Store: env.floor.kind(), Orders: cfg.Orders, PortOneLatencyMs: ms(cfg.PortOneLatency),
		CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), InProcess: cfg.ServiceURL == "",
	}
	if err := env.warmUp(ctx); err != nil {
		return nil, err
	}
	if cfg.PortOneLatency > 0 && slices.Min(cfg.Concurrency) > 1 {
		env.progress("commit alone (the latency target's one commit)")
		st := env.measure(ctx, 1, min(cfg.Orders, commitAloneRuns), env.floor.commit)
		rep.CommitAlone = &st
	}
	for _, c := range cfg.Concurrency {
		lv, err := env.level(ctx, c)
		if err != nil {
			return nil, err
		}
		rep.Levels = append(rep.Levels, lv)
	}
	rep.PeakRSSMiB = peakRSSMiB()
	rep.ServiceRSSMiB = env.childPeakRSSMiB()
	if cfg.ServeBinary != "" {
		env.progress("start-up: %d runs of %s serve", cfg.StartupRuns, cfg.ServeBinary)
		st, err := measureStartup(ctx, cfg.ServeBinary, cfg.StartupRuns)
		if err != nil {
			return nil, err
		}
		rep.Startup = st
	}
	rep.compute()
	return rep, nil
}

// level measures one concurrency level: both floors, then both paths.
func (e *env) level(ctx context.Context, c int) (Level, error) {
	lv := Level{Concurrency: c}
	var err error
	e.progress("c=%d: PortOne look-up floor", c)
	if err = e.setLatency(ctx, e.cfg.PortOneLatency); err != nil {
		return lv, err
	}
	lv.Lookup = e.measureRepeatable(ctx, c, e.cfg.Orders, e.lookup)
	e.progress("c=%d: commit floor", c)
	lv.Commit = e.measure(ctx, c, e.cfg.Orders, e.floor.commit)
	e.progress("c=%d: service round trip", c)
	lv.Hop = e.measureRepeatable(ctx, c, e.cfg.Orders, e.hop)
	if e.local != nil {
		if lv.Local, err = e.measureLocal(ctx, c); err != nil {
			return lv, err
		}
	}
	e.progress("c=%d: registering orders", c)
	lv.Register = e.measure(ctx, c, e.cfg.Orders, func(ctx context.Context, i int) error {
		return e.register(ctx, fmt.Sprintf("bench-%s-g%d-%d", e.run, c, i))
	})
	for _, p := range e.paths() {
		st, err := e.confirmPath(ctx, p, c)
		if err != nil {
			return lv, err
		}
		switch p {
		case pathWebhook:
			lv.Webhook = st
		case pathWebhookV2:
			lv.WebhookV2 = st
		default:
			lv.Redirect = st
		}
	}
	return lv, e.setLatency(ctx, 0)
}

// confirmPath prepares a batch of paid orders, then confirms them all
// through path p at concurrency c, and checks that every one was stored
// as paid.
func (e *env) confirmPath(ctx context.Context, p path, c int) (Stats, error) {
	e.progress("c=%d: preparing %d paid orders for the %s", c, e.cfg.Orders, p)
	if err := e.setLatency(ctx, 0); err != nil {
		return Stats{}, err
	}
	b, err := e.preparePath(ctx, p, fmt.Sprintf("%c%d", p[0], c), e.cfg.Orders)
	if err != nil {
		return Stats{}, err
	}
	if err := e.setLatency(ctx, e.cfg.PortOneLatency); err != nil {
		return Stats{}, err
	}
	e.progress("c=%d: confirming through the %s", c, p)
	op := func(ctx context.Context, i int) error { return e.confirm(ctx, p, b[i]) }
	stopProfile := func() {}
	if e.cfg.ProfilePhase != nil {
		stopProfile = e.cfg.ProfilePhase(fmt.Sprintf("c%d-%s", c, p))
	}
	st := e.measure(ctx, c, len(b), op)
	stopProfile()
	if err := e.setLatency(ctx, 0); err != nil {
		return st, err
	}
	st.Paid, err = e.countPaid(ctx, b[:st.Count])
	return st, err
}

func (e *env) progress(format string, args ...any) {
	if e.cfg.Progress != nil {
		fmt.Fprintf(e.cfg.Progress, "bench: "+format+"\n", args...)
	}
}

// path is an endpoint that confirms a payment.
type path string

const (
	pathWebhook  path = "webhook"
	pathRedirect path = "redirect"
	// pathWebhookV2 is PortOne V2's webhook (POST /portone/v2/webhook),
	// signed as PortOne signs it, for orders registered for V2.
	pathWebhookV2 path = "v2webhook"
)

// paths lists the paths the run measures, in order: V1's webhook, V2's
// webhook right after it (so that the two are compared under the same
// conditions), and the redirect. V2's is left out when the service runs
// elsewhere (Config.ServiceURL): the bench does not know its V2 webhook
// secret.
func (e *env) paths() []path {
	if e.v2 {
		return []path{pathWebhook, pathWebhookV2, pathRedirect}
	}
	return []path{pathWebhook, pathRedirect}
}

// isPostgres reports whether db names a PostgreSQL database.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
