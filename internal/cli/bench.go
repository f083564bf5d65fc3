package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/bench"
)

// runBench runs `payresult bench`: the same confirmations through the
// webhook and the redirect at several concurrency levels, beside the
// floors measured in the same run (see package bench).
func runBench(ctx context.Context, env Env) error {
	fl, asJSON, err := parseBenchFlags(env)
	cfg := fl.Config
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fl.backlog.Orders > 0 {
		return runBacklogBench(ctx, env, fl.backlog, asJSON, fl.checkGoals)
	}
	cfg.StartService = startBenchService
	cfg.OpenStore = openBenchStore
	cfg.Progress = env.Stderr
	if fl.profile != "" {
		stop, err := startCPUProfile(fl.profile)
		if err != nil {
			return err
		}
		defer stop()
	}
	cfg.ProfilePhase = phaseRecorders(env, fl)
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(env.Stdout)
	}
	if err != nil || !fl.checkGoals {
		return err
	}
	return checkGoals(rep.Goals)
}

// checkGoals fails when a goal the run measured was missed, or when it
// measured none, so that a script that asked for the goals to be checked
// never passes by accident.
func checkGoals(goals []bench.Goal) error {
	if len(goals) == 0 {
		return errors.New("bench --check-goals: this run measured none of the goals (they need concurrency 1 or 32 on SQLite, or --portone-latency at 128)")
	}
	var missed []string
	for _, g := range goals {
		if !g.Met {
			missed = append(missed, g.Goal+" ("+g.Figure+")")
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("bench: %d of %d goals missed: %s", len(missed), len(goals), strings.Join(missed, "; "))
	}
	return nil
}

// benchFlags is what bench's flags set.
type benchFlags struct {
	bench.Config
	profile string // CPU profile file, for finding what to make faster
	// phaseProfiles and phaseTraces are the file name prefixes of one CPU
	// profile and one execution trace per confirming phase.
	phaseProfiles, phaseTraces string
	// checkGoals makes a missed goal an error (exit 1).
	checkGoals bool
	// backlog, when its Orders is set, runs the recovery scenario instead.
	backlog bench.BacklogConfig
}

// runBacklogBench runs the recovery scenario (bench --backlog).
func runBacklogBench(ctx context.Context, env Env, cfg bench.BacklogConfig, asJSON, checkGoals bool) error {
	cfg.StartService, cfg.OpenStore, cfg.Progress = startBenchService, openBenchStore, env.Stderr
	rep, err := bench.RunBacklog(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(env.Stdout)
	}
	if err == nil && checkGoals && !rep.Met {
		err = fmt.Errorf("bench: goal missed: %s", rep.Goal)
	}
	return err
}

// phaseRecorders returns the hook that records each confirming phase as
// the flags ask (a CPU profile, an execution trace), or nil for none.
func phaseRecorders(env Env, fl benchFlags) func(name string) (stop func()) {
	type recorder struct {
		prefix, ext string
		start       func(path string) (func(), error)
	}
	var rs []recorder
	if fl.phaseProfiles != "" {
		rs = append(rs, recorder{fl.phaseProfiles, ".pprof", startCPUProfile})
	}
	if fl.phaseTraces != "" {
		rs = append(rs, recorder{fl.phaseTraces, ".trace", startTrace})
	}
	if len(rs) == 0 {
		return nil
	}
	return func(name string) func() {
		var stops []func()
		for _, r := range rs {
			stop, err := r.start(r.prefix + "-" + name + r.ext)
			if err != nil {
				fmt.Fprintf(env.Stderr, "payresult bench: no %s of %s: %v\n", r.ext, name, err)
				continue
			}
			stops = append(stops, stop)
		}
		return func() {
			for _, stop := range stops {
				stop()
			}
		}
	}
}

// parseBenchFlags reads bench's flags.
func parseBenchFlags(env Env) (benchFlags, bool, error) {
	var cfg benchFlags
	var levels string
	var asJSON, noStartup, child bool
	fs := flag.NewFlagSet("payresult bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&cfg.Orders, "n", bench.DefaultOrders, "orders confirmed per path and level, and commits of the commit floor (look-ups and hops: at least as many, over at least 250ms)")
	fs.StringVar(&levels, "concurrency", "1,8,32,128", "comma-separated concurrency `levels`")
	fs.StringVar(&cfg.DB, "db", env.Getenv("PAYRESULT_BENCH_DB"), "store: empty for a fresh SQLite file, a SQLite `path`, or a postgres:// URL (a fresh schema is used)")
	fs.DurationVar(&cfg.PortOneLatency, "portone-latency", 0, "simulated PortOne latency added to every REST answer, e.g. 30ms")
	fs.StringVar(&cfg.ServiceURL, "service-url", "", "measure a running payresult serve at this `URL` instead of one in process")
	fs.StringVar(&cfg.EmulatorURL, "emulator-url", "", "the running emulator that service uses (with --service-url; it must send no webhooks)")
	fs.StringVar(&cfg.APIKey, "api-key", env.Getenv("PAYRESULT_API_KEY"), "the running service's app API key (with --service-url)")
	fs.DurationVar(&cfg.MaxLevelTime, "max-phase-time", bench.DefaultMaxLevelTime, "time bound of each measured phase")
	fs.IntVar(&cfg.StartupRuns, "startup-runs", bench.DefaultStartupRuns, "how many times serve's start-up is timed")
	fs.BoolVar(&noStartup, "no-startup", false, "skip timing serve's start-up")
	fs.BoolVar(&child, "serve-child", false, "run the service as a `payresult serve` child process and report its own peak RSS")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.StringVar(&cfg.profile, "cpuprofile", "", "write a CPU profile of the whole run (bench, emulator and service) to `file`")
	fs.StringVar(&cfg.phaseProfiles, "phase-profiles", "", "write a CPU profile of each timed confirming phase alone to `prefix`-c<level>-<path>.pprof (not with --cpuprofile)")
	fs.StringVar(&cfg.phaseTraces, "phase-traces", "", "write an execution trace of each timed confirming phase to `prefix`-c<level>-<path>.trace (read with go tool trace, e.g. -pprof=sched)")
	fs.IntVar(&cfg.backlog.Orders, "backlog", 0, "instead of the confirm bench, the recovery scenario: this many paid `orders` whose webhooks and redirects were lost, settled by the service as it starts (see --instances, --checks-sample)")
	fs.IntVar(&cfg.backlog.Instances, "instances", 1, "with --backlog: services started on the store (more than one needs --db postgres://...)")
	fs.IntVar(&cfg.backlog.ChecksSample, "checks-sample", bench.DefaultChecksSample, "with --backlog: orders settled by per-order checks alone, for that figure (extrapolated); 0 leaves it out")
	fs.DurationVar(&cfg.backlog.Outage, "outage", bench.DefaultBacklogOutage, "with --backlog: how long the lost payments were being made")
	fs.BoolVar(&cfg.checkGoals, "check-goals", false, "exit 1 when the run misses one of the project's goals it measured (or measured none)")
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			benchHelp.write(env.Stdout, fs)
			return cfg, false, err
		}
		return cfg, false, usageError(env, "bench", err)
	}
	bad := func(format string, args ...any) (benchFlags, bool, error) {
		return cfg, false, usageError(env, "bench", fmt.Errorf(format, args...))
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if cfg.Concurrency, err = parseLevels(levels); err != nil {
		return bad("--concurrency: %v", err)
	}
	switch {
	case cfg.Orders < 1:
		return bad("--n must be at least 1")
	case cfg.PortOneLatency < 0:
		return bad("--portone-latency must not be negative")
	case cfg.MaxLevelTime <= 0:
		return bad("--max-phase-time must be positive")
	case cfg.StartupRuns < 1:
		return bad("--startup-runs must be at least 1")
	case (cfg.ServiceURL == "") != (cfg.EmulatorURL == ""):
		return bad("--service-url and --emulator-url go together")
	case cfg.ServiceURL != "" && (cfg.APIKey == "" || cfg.DB == ""):
		return bad("--service-url needs --api-key and --db (the service's own database, for the commit floor)")
	}
	cfg.backlog.DB = cfg.DB
	if cfg.backlog.ChecksSample == 0 {
		cfg.backlog.ChecksSample = -1
	}
	if cfg.profile != "" && cfg.phaseProfiles != "" {
		return bad("--cpuprofile and --phase-profiles exclude each other: one CPU profile runs at a time")
	}
	if child {
		if cfg.ServiceURL != "" {
			return bad("--serve-child and --service-url exclude each other")
		}
		if cfg.ServeChild, err = os.Executable(); err != nil {
			return bad("cannot find this program to run serve as a child: %v", err)
		}
	}
	if !noStartup {
		if cfg.ServeBinary, err = os.Executable(); err != nil {
			return bad("cannot find this program to time serve's start-up: %v (use --no-startup)", err)
		}
	}
	return cfg, asJSON, nil
}

// benchHelp is payresult bench --help.
var benchHelp = help{
	name:  "bench",
	usage: "[flags]",
	about: `
Measures what verifying a payment costs. It starts the PortOne emulator and
payresult serve (wired as serve wires itself, in live mode against the
emulator), confirms paid orders through POST /portone/webhook and GET
/portone/redirect at each concurrency level, and in the same run measures
the floors (a PortOne look-up, a durable commit, a round trip to the
service) and the parts of a confirm, so that every ratio compares numbers
from one run. It ends with the project's goals, judged on this run's own
figures. See internal/bench/README.md for what each phase measures.`,
	env:     map[string]string{"db": "PAYRESULT_BENCH_DB", "api-key": "PAYRESULT_API_KEY"},
	example: "payresult bench --n 2000 --concurrency 1,8,32,128\npayresult bench --backlog 50000 --db postgres://postgres@127.0.0.1/bench --instances 2\npayresult bench --n 3000 --concurrency 1,32 --no-startup --check-goals --db postgres://postgres@127.0.0.1/bench",
}

// parseLevels reads "1,8,32,128".
func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1024 {
			return nil, fmt.Errorf("%q is not a comma-separated list of numbers from 1 to 1024", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// startBenchService starts payresult serve in process, wired exactly as
// runServe wires it, in live mode against the bench's emulator.
func startBenchService(ctx context.Context, spec bench.ServiceSpec) (string, func() error, error) {
	vars := map[string]string{
		"PAYRESULT_ADDR": "127.0.0.1:0", "PAYRESULT_DB": spec.DB, "PAYRESULT_API_KEY": spec.APIKey,
		"PORTONE_API_URL": spec.PortOneURL, "PORTONE_API_KEY": spec.PortOneKey, "PORTONE_API_SECRET": spec.PortOneSecret,
	}
	if spec.PortOneV2Secret != "" {
		vars["PORTONE_V2_API_URL"], vars["PORTONE_V2_API_SECRET"] = spec.PortOneURL, spec.PortOneV2Secret
		vars["PORTONE_V2_STORE_ID"], vars["PORTONE_V2_WEBHOOK_SECRET"] = spec.PortOneV2StoreID, spec.PortOneV2WebhookSecret
	}
	env := Env{Getenv: func(k string) string { return vars[k] }, Stdout: io.Discard, Stderr: io.Discard}
	cfg, err := loadServeConfig(env)
	if err != nil {
		return "", nil, err
	}
	log := newLogger(cfg.LogFormat, io.Discard)
	store, err := openStore(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	lns, err := listen(cfg)
	if err != nil {
		store.Close()
		return "", nil, err
	}
	svc, err := newService(ctx, cfg, store, nil, lns.main.Addr().(*net.TCPAddr), log)
	if err != nil {
		lns.close()
		store.Close()
		return "", nil, err
	}
	svc.noReconciler = spec.NoReconciler
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- svc.serve(sctx, lns) }()
	return svc.localURL, func() error {
		stop()
		err := <-done
		svc.close()
		return errors.Join(err, store.Close())
	}, nil
}

// openBenchStore opens the store of the bench's local phase as serve
// opens its own.
func openBenchStore(ctx context.Context, db string) (payresult.Store, error) {
	return openStore(ctx, &serveConfig{DB: db})
}

// startTrace traces this process into path until stop is called.
func startTrace(path string) (stop func(), err error) {
	return startRecording(path, trace.Start, trace.Stop)
}

// startCPUProfile profiles this process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	return startRecording(path, pprof.StartCPUProfile, pprof.StopCPUProfile)
}

// startRecording creates path and starts a recorder writing to it; the
// returned stop ends the recorder and closes the file.
func startRecording(path string, start func(io.Writer) error, end func()) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { end(); f.Close() }, nil
}
