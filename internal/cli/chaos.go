package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/payresult/payresult/internal/chaos"
)

// parseChaosFlags reads the chaos subcommand's flags. A run without
// --seed draws one from the clock and prints it, so that any run can be
// repeated.
func parseChaosFlags(env Env) (chaos.Config, error) {
	var c chaos.Config
	fs := flag.NewFlagSet("payresult chaos", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, `Usage: payresult chaos [flags]

Runs the chaos soak: the PortOne emulator (in this process) and payresult
serve (as child processes, in live mode against the emulator) play payments of every
outcome, tampered amounts and replayed imp_uids, while webhooks are
dropped, duplicated, delayed and reordered, redirects are lost, PortOne's
API fails, slows down and hangs, and serve is killed with SIGKILL and
restarted. Then the reconciler settles, and the soak checks every order
against the emulator's ledger. It exits non-zero on any violation.

`)
		fs.PrintDefaults()
	}
	fs.IntVar(&c.Payments, "payments", chaos.DefaultPayments, "payments to play")
	fs.IntVar(&c.Kills, "kills", 0, "SIGKILLs to send (default one per 400 payments, at least 3)")
	fs.Int64Var(&c.Seed, "seed", 0, "seed of the plan (default: drawn from the clock and printed)")
	fs.StringVar(&c.DB, "db", "", "postgres:// URL to run on PostgreSQL in a fresh schema (default: a SQLite file)")
	fs.IntVar(&c.Instances, "instances", 0, "serve processes (default 1 on SQLite, 2 on PostgreSQL)")
	fs.IntVar(&c.Concurrency, "concurrency", chaos.DefaultConcurrency, "payments played at once")
	fs.StringVar(&c.Dir, "dir", "", "where the run's directory (database, serve logs) goes (default the temporary directory)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the run's directory and schema even when it passes")
	fs.DurationVar(&c.ConvergeTimeout, "converge-timeout", chaos.DefaultConvergeTimeout, "how long the reconciler gets to settle every order")
	fs.StringVar(&c.ReconcileSchedule, "reconcile-schedule", chaos.DefaultReconcileSchedule, "serve's reconciler schedule during the soak")
	fs.DurationVar(&c.ReconcileInterval, "reconcile-interval", chaos.DefaultReconcileInterval, "serve's wait between reconciler passes")
	fs.StringVar(&c.Binary, "binary", "", "payresult executable to run serve with (default this one)")
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, ErrUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "payresult chaos: unexpected argument %q\n", fs.Arg(0))
		return c, ErrUsage
	}
	seeded := false
	fs.Visit(func(f *flag.Flag) { seeded = seeded || f.Name == "seed" })
	if !seeded {
		c.Seed = time.Now().UnixNano() % 1_000_000_000
	}
	return c, nil
}

// runChaos runs the soak and prints its report.
func runChaos(ctx context.Context, env Env) error {
	c, err := parseChaosFlags(env)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
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
	if _, err := rep.WriteTo(env.Stdout); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("chaos: promises broken; see the violations above (seed %d)", c.Seed)
	}
	return nil
}
