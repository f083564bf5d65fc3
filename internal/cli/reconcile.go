package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/reconcile"
)

// runReconcile checks the orders that still wait for a result, as the
// reconciler inside payresult serve does, and prints what it did: by
// default those whose next check is due, then the refunds PortOne made
// that payresult has not seen; with --now every open order; with --order
// one. When it checked nothing it says why. It exits non-zero when PortOne
// failed or some orders could not be checked.
func runReconcile(ctx context.Context, env Env) error {
	var (
		asJSON, now bool
		order       string
		from, to    timeFlag
	)
	tc, _, err := loadToolConfig(ctx, env, reconcileHelp, 0, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the summary as JSON")
		fs.BoolVar(&now, "now", false, "check every order that waits for a result now, due or not (those whose checks ran out too), then sweep refunds")
		fs.StringVar(&order, "order", "", "check the order with this `merchant_uid` now, due or not")
		fs.Var(&from, "from", "instead of checking orders, sweep PortOne's paid, ready, failed and cancelled payments from this `time` (RFC 3339)")
		fs.Var(&to, "to", "end of the sweep's window, a `time` (RFC 3339; default now)")
	})
	if tc == nil {
		return err
	}
	defer tc.close()
	switch {
	case now && order != "":
		return usageError(env, "reconcile", errors.New("--now and --order exclude each other"))
	case from.t.IsZero() && !to.t.IsZero():
		return usageError(env, "reconcile", errors.New("--to needs --from"))
	case !from.t.IsZero() && (now || order != ""):
		return usageError(env, "reconcile", errors.New("--from sweeps a window; it excludes --now and --order"))
	}
	rec := &reconcile.Reconciler{
		Store: tc.store, Processor: tc.proc, Logger: tc.log,
	}
	var (
		sum     reconcile.Summary
		passErr error
		why     string
	)
	switch {
	case !from.t.IsZero():
		sum, passErr = reconcileWindow(ctx, rec, env, from.t, to.t)
	case order != "":
		sum, why, passErr = reconcileOne(ctx, tc, rec, env, order)
	default:
		sum, passErr = reconcileAll(ctx, tc, rec, env, now)
	}
	if passErr == nil && sum.Checked == 0 && why == "" {
		why = whyNothingChecked(ctx, tc.store, time.Now())
	}
	printReconcile(env.Stdout, sum, why, asJSON)
	passErr = explainUnreachable(passErr, tc)
	switch {
	case payresult.IsTransient(passErr):
		return fmt.Errorf("stopped early, the rest is still due: %w", passErr)
	case passErr != nil:
		return passErr
	case sum.Errors > 0:
		return fmt.Errorf("%d orders could not be checked; see the log above", sum.Errors)
	}
	return nil
}

// reconcileAll runs a pass over the due orders (every open order with
// now), then sweeps the refunds of the last 72 hours, as serve's first
// sweep does.
func reconcileAll(ctx context.Context, tc *toolConfig, rec *reconcile.Reconciler, env Env, now bool) (reconcile.Summary, error) {
	bar := newProgress(env.Stderr, openOrders(ctx, tc.store))
	rec.OnProgress = bar.update
	var (
		sum reconcile.Summary
		err error
	)
	if now {
		var orders []*payresult.Order
		if orders, _, err = reconcile.OpenOrders(ctx, tc.store, 0); err == nil {
			sum, err = rec.CheckNow(ctx, orders)
		}
	} else {
		sum, err = rec.Pass(ctx)
	}
	if err == nil {
		// Refunds whose cancelled webhooks were lost.
		t, passed := time.Now(), sum
		rec.OnProgress = func(s reconcile.Summary) { bar.update(passed.Add(s)) }
		var sweep reconcile.Summary
		sweep, err = rec.SweepRange(ctx, t.Add(-reconcile.DefaultCancelLookback), t, "cancelled")
		sum = sum.Add(sweep)
	}
	bar.finish(sum)
	return sum, err
}

// reconcileWindow sweeps [from, to) (to now when zero): PortOne's
// payments listed by status, each one that would change its order
// confirmed.
func reconcileWindow(ctx context.Context, rec *reconcile.Reconciler, env Env, from, to time.Time) (reconcile.Summary, error) {
	if to.IsZero() {
		to = time.Now()
	}
	if !to.After(from) {
		return reconcile.Summary{}, usageError(env, "reconcile", errors.New("--from must be before --to"))
	}
	bar := newProgress(env.Stderr, 0)
	rec.OnProgress = bar.update
	sum, err := rec.SweepRange(ctx, from, to)
	bar.finish(sum)
	return sum, err
}

// timeFlag is a flag holding an RFC 3339 time.
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("%q is not an RFC 3339 time such as 2026-03-01T09:00:00+09:00", s)
	}
	f.t = t
	return nil
}

// reconcileOne checks one order now. An order with its final result is
// not checked; the reason says so.
func reconcileOne(ctx context.Context, tc *toolConfig, rec *reconcile.Reconciler, env Env, merchantUID string) (reconcile.Summary, string, error) {
	o, err := tc.store.Order(ctx, merchantUID)
	if payresult.IsNotFound(err) {
		return reconcile.Summary{}, "", fmt.Errorf("no order %q", merchantUID)
	}
	if err != nil {
		return reconcile.Summary{}, "", err
	}
	if !o.NeedsCheck() {
		return reconcile.Summary{}, fmt.Sprintf("Order %s is %s: it has its final result, so there is nothing to check. "+
			"payresult verify %s compares it with PortOne.", o.MerchantUID, o.Status, o.MerchantUID), nil
	}
	bar := newProgress(env.Stderr, 1)
	rec.OnProgress = bar.update
	sum, err := rec.CheckNow(ctx, []*payresult.Order{o})
	bar.finish(sum)
	return sum, "", err
}

// printReconcile prints the summary, and why nothing was checked.
func printReconcile(w io.Writer, sum reconcile.Summary, why string, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(struct {
			reconcile.Summary
			Why string `json:"why,omitempty"`
		}{sum, why})
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	fmt.Fprintf(w, "checked    %d\nchanged    %d\npaid late  %d\nexpired    %d\nrefunded   %d\nerrors     %d\n",
		sum.Checked, sum.Changed, sum.PaidLate, sum.Expired, sum.Refunded, sum.Errors)
	if why != "" {
		fmt.Fprintf(w, "\n%s", wrap(why, "", 76))
	}
}

// whyNothingChecked says why a run checked no order, from what the
// reconciler has left to do.
func whyNothingChecked(ctx context.Context, store payresult.Store, now time.Time) string {
	b, err := reconcile.ReadBacklog(ctx, store, now, 0, 1)
	switch {
	case err != nil:
		return ""
	case b.Open() == 0:
		return "No order waits for a result: none is pending, no virtual account waits for its deposit, " +
			"and no forged payment waits for its cancel."
	case b.Due > 0:
		return fmt.Sprintf("%s due, but another payresult (a running serve) is checking %s right now.",
			count(b.Due, "order is", "orders are"), pick(b.Due, "it", "them"))
	}
	var parts []string
	if b.Waiting > 0 {
		first := b.Next[0]
		parts = append(parts, fmt.Sprintf("%s for a later check: the first, order %s, is due at %s (in %s).",
			count(b.Waiting, "order waits", "orders wait"), first.MerchantUID, kstTime(first.NextCheckAt),
			first.NextCheckAt.Sub(now).Round(time.Second)))
	}
	if b.Stopped > 0 {
		parts = append(parts, fmt.Sprintf("%s used up %s checks: only a notice from PortOne settles %s now.",
			count(b.Stopped, "pending order has", "pending orders have"), pick(b.Stopped, "its", "their"), pick(b.Stopped, "it", "them")))
	}
	parts = append(parts, "Run with --now to check them all now, or with --order <merchant_uid> for one.")
	return "Nothing was due. " + strings.Join(parts, " ")
}

// count writes n with the singular or plural phrase: "1 order is".
func count(n int, one, many string) string { return fmt.Sprintf("%d %s", n, pick(n, one, many)) }

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// kstTime writes t for an operator in Korea Standard Time, PortOne's and
// its merchants' zone.
func kstTime(t time.Time) string { return t.In(kst).Format("2006-01-02 15:04:05 KST") }

// kst is Korea Standard Time.
var kst = time.FixedZone("KST", 9*60*60)

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
		fmt.Fprintf(p.w, "reconcile: checked %s (%d changed, %d errors)\n", count(s.Checked, "order", "orders"), s.Changed, s.Errors)
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
	fmt.Fprintf(p.w, "reconcile: done, checked %s (%d changed, %d errors)\n", count(s.Checked, "order", "orders"), s.Changed, s.Errors)
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

// reconcileHelp is payresult reconcile --help.
var reconcileHelp = help{
	name:  "reconcile",
	usage: "[--now | --order <merchant_uid> | --from <time> [--to <time>]] [--json] [flags]",
	about: `
Checks the orders that still wait for a result, as payresult serve's
reconciler does in the background: each is looked up at PortOne and run
through Confirm. Paid payments whose redirect and webhook were lost become
paid, virtual accounts past their deadline become expired. By default only
the orders whose next check is due are checked; --now checks them all,
including pending orders whose checks ran out, and --order checks one.
Then, except with --order, it lists the payments PortOne cancelled in the
last 72 hours and applies each refund payresult has not seen, as serve's
sweeps do. Safe to run beside payresult serve: every change
goes through the same compare-and-set. With --from (and --to) it instead
sweeps that window: PortOne's paid, ready, failed and cancelled payments
listed a hundred to a request, each one that would change its order run
through Confirm, as serve's sweeps do after a webhook outage.

Shows progress on stderr and prints a summary: checked, changed, paid
late, expired, refunded, errors; when it checked nothing, it says why.
Exits 1 when PortOne failed (the rest stays due) or some orders could not
be checked. In sandbox mode it talks to the sandbox of the running serve.`,
	flags:  []string{"now", "order", "from", "to", "json"},
	shared: toolSettings,
	example: `payresult reconcile
payresult reconcile --order order-1001
payresult reconcile --from 2026-03-01T09:00:00+09:00 --to 2026-03-01T11:00:00+09:00
PAYRESULT_DB=postgres://payresult@db/payresult payresult reconcile --now --json`,
}
