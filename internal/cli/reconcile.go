package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/reconcile"
)

// runReconcile runs one reconciler pass over the orders whose next check
// is due, as the reconciler inside payresult serve would, and prints what
// it did. It exits non-zero when PortOne failed or some orders could not
// be checked.
func runReconcile(ctx context.Context, env Env) error {
	var asJSON bool
	tc, _, err := loadToolConfig(ctx, env, "reconcile", reconcileUsage, 0, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	})
	if tc == nil {
		return err
	}
	defer tc.close()
	total := openOrders(ctx, tc.store)
	bar := newProgress(env.Stderr, total)
	rec := &reconcile.Reconciler{
		Store: tc.store, Processor: tc.proc, PortOne: tc.gateway, Cancels: tc.gateway, Logger: tc.log,
		OnProgress: bar.update,
	}
	sum, passErr := rec.Pass(ctx)
	if passErr == nil {
		// Refunds whose cancelled webhooks were lost, over the lookback
		// serve's first sweep uses.
		now, passed := time.Now(), sum
		rec.OnProgress = func(s reconcile.Summary) { bar.update(passed.Add(s)) }
		var sweep reconcile.Summary
		sweep, passErr = rec.SweepCancels(ctx, now.Add(-reconcile.DefaultCancelLookback), now)
		sum = sum.Add(sweep)
	}
	bar.finish(sum)
	if asJSON {
		b, _ := json.Marshal(sum)
		fmt.Fprintf(env.Stdout, "%s\n", b)
	} else {
		fmt.Fprintf(env.Stdout, "checked    %d\nchanged    %d\npaid late  %d\nexpired    %d\nrefunded   %d\nerrors     %d\n",
			sum.Checked, sum.Changed, sum.PaidLate, sum.Expired, sum.Refunded, sum.Errors)
	}
	switch {
	case payresult.IsTransient(passErr):
		return fmt.Errorf("pass stopped early, the rest is still due: %w", passErr)
	case passErr != nil:
		return passErr
	case sum.Errors > 0:
		return fmt.Errorf("%d orders could not be checked; see the log above", sum.Errors)
	}
	return nil
}

// openOrders counts the orders a pass may check, for the progress bar; 0
// when unknown.
func openOrders(ctx context.Context, store payresult.Store) int {
	counts, err := store.CountByStatus(ctx)
	if err != nil {
		return 0
	}
	return counts[payresult.StatusPending] + counts[payresult.StatusVbankIssued] + counts[payresult.StatusForged]
}

// progress shows a pass advancing on stderr: a bar redrawn in place on a
// terminal, else a plain line every progressEvery orders, so that logs
// stay readable.
type progress struct {
	w     io.Writer
	tty   bool
	total int

	mu    sync.Mutex
	drawn time.Time
	lines int // plain lines written
}

const progressEvery = 100

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), total: total}
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) update(s reconcile.Summary) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		if time.Since(p.drawn) >= 100*time.Millisecond {
			p.drawn = time.Now()
			fmt.Fprintf(p.w, "\r%s", p.bar(s))
		}
		return
	}
	if s.Checked/progressEvery > p.lines {
		p.lines = s.Checked / progressEvery
		fmt.Fprintf(p.w, "reconcile: checked %d orders (%d changed, %d errors)\n", s.Checked, s.Changed, s.Errors)
	}
}

// finish draws the final state and ends the bar's line.
func (p *progress) finish(s reconcile.Summary) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\n", p.bar(s))
		return
	}
	fmt.Fprintf(p.w, "reconcile: done, checked %d orders (%d changed, %d errors)\n", s.Checked, s.Changed, s.Errors)
}

// bar renders "[#####-----]  120/500 checked, 3 changed, 0 errors". The
// total counts every open order, of which only the due ones are checked.
func (p *progress) bar(s reconcile.Summary) string {
	const width = 30
	total := max(p.total, s.Checked)
	filled := width
	if total > 0 {
		filled = width * s.Checked / total
	}
	return fmt.Sprintf("[%s%s] %5d/%d checked, %d changed, %d errors",
		strings.Repeat("#", filled), strings.Repeat("-", width-filled), s.Checked, total, s.Changed, s.Errors)
}

// toolConfig is what the operator commands (reconcile, verify) work with:
// serve's configuration, its store, and a processor like serve's.
type toolConfig struct {
	cfg     *serveConfig
	log     *slog.Logger
	store   payresult.Store
	gateway *portone.Client
	proc    *payresult.Processor
}

func (t *toolConfig) close() { t.store.Close() }

// loadToolConfig reads serve's configuration (the same variables and
// flags, validated by parseServeConfig) plus the command's own flags, and
// opens the store. Flags may come before or after the positional
// arguments, of which it wants exactly nargs. With --help it prints the
// usage and returns nil, nil, nil.
func loadToolConfig(ctx context.Context, env Env, name string, usage func(io.Writer), nargs int, extra func(*flag.FlagSet)) (*toolConfig, []string, error) {
	fs := flag.NewFlagSet("payresult "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	raw := map[string]*string{}
	for _, s := range serveEnv {
		def := serveDefaults[s.flag]
		if v := env.Getenv(s.env); v != "" {
			def = v
		}
		raw[s.flag] = fs.String(s.flag, def, s.usage)
	}
	extra(fs)
	args, err := parseInterleaved(fs, env.Args)
	if errors.Is(err, flag.ErrHelp) {
		usage(env.Stdout)
		return nil, nil, nil
	}
	if err == nil && len(args) != nargs {
		err = fmt.Errorf("want %d argument(s), got %d", nargs, len(args))
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "payresult %s: %v\n\n", name, err)
		usage(env.Stderr)
		return nil, nil, ErrUsage
	}
	cfg, err := parseServeConfig(func(f string) string { return strings.TrimSpace(*raw[f]) })
	if err != nil {
		return nil, nil, err
	}
	tc, err := openTool(ctx, cfg, env.Stderr)
	return tc, args, err
}

// openTool opens the store and builds the processor as serve does. In
// sandbox mode PortOne is the emulator inside the running payresult serve,
// reached over loopback at the address PAYRESULT_ADDR names.
func openTool(ctx context.Context, cfg *serveConfig, stderr io.Writer) (*toolConfig, error) {
	log := newLogger(cfg.LogFormat, stderr)
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	gateway := &portone.Client{BaseURL: cfg.PortOneURL, Key: cfg.PortOneKey, Secret: cfg.PortOneSecret}
	if cfg.Sandbox {
		gateway = &portone.Client{BaseURL: sandboxURL(cfg.Addr), Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}
		log.Warn("SANDBOX MODE: no PortOne credentials are set; using the emulator of the running payresult serve",
			"portone", gateway.BaseURL)
	}
	proc := &payresult.Processor{
		Store: store, PortOne: gateway, AcceptTestPayments: cfg.Sandbox || cfg.AcceptTestPayments,
		Logger: log.With("component", "processor"), FirstCheckDelay: reconcile.DefaultSchedule[0],
	}
	return &toolConfig{cfg: cfg, log: log, store: store, gateway: gateway, proc: proc}, nil
}

// sandboxURL is where a payresult serve listening on addr serves its
// emulator, seen from this machine.
func sandboxURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://127.0.0.1:8080/sandbox"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/sandbox"
}

// parseInterleaved parses flags wherever they appear among the arguments
// (the flag package stops at the first argument), so that both
// "verify --apply imp_1" and "verify imp_1 --apply" work.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

func reconcileUsage(w io.Writer) {
	io.WriteString(w, `Usage: payresult reconcile [--json] [serve's flags]

Runs one reconciler pass, as payresult serve does in the background: every
order whose next check is due (pending, virtual account issued, forged but
not yet cancelled at PortOne) is looked up at PortOne and run through
Confirm. Paid payments whose redirect and webhook were lost become paid,
virtual accounts past their deadline become expired. Then it lists the
payments PortOne cancelled in the last 72 hours and applies each refund
payresult has not seen (made in PortOne's console or by the PG, its
cancelled webhook lost), as serve does every 10 minutes. Safe to run
beside payresult serve: orders are claimed, and every change goes through
the same compare-and-set.

Shows progress on stderr (a bar on a terminal) and prints a summary:
checked, changed, paid late, expired, refunded, errors. Exits 1 when
PortOne failed (the rest stays due) or some orders could not be checked.

It reads the same configuration as payresult serve (see payresult serve
--help); in sandbox mode it talks to the emulator of the running serve.

  --json
        print the summary as JSON
`)
}
