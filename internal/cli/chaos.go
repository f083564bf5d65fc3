package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/payresult/payresult/internal/chaos"
)

// chaosFlags is what chaos's flags set.
type chaosFlags struct {
	chaos.Config
	json bool // print the report as JSON
}

// parseChaosFlags reads the chaos subcommand's flags. A run without
// --seed draws one from the clock and prints it, so that any run can be
// repeated.
func parseChaosFlags(env Env) (chaosFlags, error) {
	var c chaosFlags
	fs := flag.NewFlagSet("payresult chaos", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&c.Payments, "payments", chaos.DefaultPayments, "payments to play")
	fs.IntVar(&c.Kills, "kills", 0, "SIGKILLs to send (default one per 400 payments, at least 3)")
	fs.Int64Var(&c.Seed, "seed", 0, "seed of the plan (default: drawn from the clock and printed)")
	fs.StringVar(&c.DB, "db", "", "postgres:// `URL` to run on PostgreSQL in a fresh schema (default: a SQLite file)")
	fs.IntVar(&c.Instances, "instances", 0, "serve processes (default 1 on SQLite, 2 on PostgreSQL)")
	fs.IntVar(&c.Concurrency, "concurrency", chaos.DefaultConcurrency, "payments played at once")
	fs.StringVar(&c.Dir, "dir", "", "where the run's `directory` (database, serve logs) goes (default the temporary directory)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the run's directory and schema even when it passes")
	fs.DurationVar(&c.ConvergeTimeout, "converge-timeout", chaos.DefaultConvergeTimeout, "how long the reconciler gets to settle every order")
	fs.StringVar(&c.ReconcileSchedule, "reconcile-schedule", chaos.DefaultReconcileSchedule, "serve's reconciler schedule during the soak")
	fs.DurationVar(&c.ReconcileInterval, "reconcile-interval", chaos.DefaultReconcileInterval, "serve's wait between reconciler passes")
	fs.StringVar(&c.Binary, "binary", "", "payresult `executable` to run serve with (default this one)")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON (progress stays on stderr)")
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			chaosHelp.write(env.Stdout, fs)
			return c, err
		}
		return c, usageError(env, "chaos", err)
	}
	if fs.NArg() > 0 {
		return c, usageError(env, "chaos", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	seeded := false
	fs.Visit(func(f *flag.Flag) { seeded = seeded || f.Name == "seed" })
	if !seeded {
		c.Seed = time.Now().UnixNano() % 1_000_000_000
	}
	return c, nil
}

// chaosHelp is payresult chaos --help.
var chaosHelp = help{
	name:  "chaos",
	usage: "[flags]",
	about: `
Runs the chaos soak: the PortOne emulator (in this process) and payresult
serve (as child processes, in live mode against the emulator) play
payments of every outcome through PortOne V1 and V2 side by side,
tampered amounts and replayed imp_uids, while
webhooks are dropped, duplicated, delayed and reordered, redirects are
lost, PortOne's API fails, slows down and hangs, and serve is killed with
SIGKILL and restarted. Then the reconciler settles, and the soak checks
every order against the emulator's ledger. It exits 1 on any violation;
--seed repeats a run's plan.`,
	example: "payresult chaos --payments 2000 --kills 5 --seed 505\npayresult chaos --payments 500 --db postgres://postgres@127.0.0.1:5432/test --json > chaos.json",
}

// runChaos runs the soak and prints its report.
func runChaos(ctx context.Context, env Env) error {
	fl, err := parseChaosFlags(env)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	c := fl.Config
	if c.Binary == "" {
		if c.Binary, err = os.Executable(); err != nil {
			return fmt.Errorf("chaos: finding this executable to run serve with: %w (use --binary)", err)
		}
	}
	c.Progress = env.Stderr
	fmt.Fprintf(env.Stderr, "payresult chaos: seed %d, %d payments (repeat with --seed %d)\n", c.Seed, c.Payments, c.Seed)
	rep, err := chaos.Run(ctx, c)
	if err != nil {
		return err
	}
	if fl.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		_, err = rep.WriteTo(env.Stdout)
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("chaos: promises broken; see the violations above (seed %d)", c.Seed)
	}
	return nil
}
