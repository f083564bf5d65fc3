package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// runVerify looks one payment up at PortOne and shows, beside the stored
// order, what Confirm would decide. With --apply it then runs Confirm.
func runVerify(ctx context.Context, env Env) error {
	var apply bool
	tc, args, err := loadToolConfig(ctx, env, verifyHelp, 1, func(fs *flag.FlagSet) {
		fs.BoolVar(&apply, "apply", false, "store what Confirm decides (default: change nothing)")
	})
	if tc == nil {
		return err
	}
	defer tc.close()
	n, err := verifyNotice(ctx, tc, args[0])
	if err != nil {
		return explainUnreachable(err, tc)
	}
	stored, _ := tc.store.Order(ctx, n.MerchantUID)
	res, err := tc.proc.Preview(ctx, n)
	if res == nil {
		return fmt.Errorf("verify %s: %w", args[0], explainUnreachable(err, tc))
	}
	printVerdict(env.Stdout, stored, res)
	if err != nil {
		return fmt.Errorf("verify %s: %w", args[0], err)
	}
	if !apply {
		if res.Changed {
			fmt.Fprintln(env.Stdout, "\nNothing was changed. Run again with --apply to store this.")
		}
		return nil
	}
	got, err := tc.proc.Confirm(ctx, n)
	if err != nil {
		return fmt.Errorf("verify --apply %s: %w", args[0], explainUnreachable(err, tc))
	}
	fmt.Fprintf(env.Stdout, "\nApplied: %s; order %s is now %s.\n", got.Outcome, got.Order.MerchantUID, got.Order.Status)
	return nil
}

// verifyNotice turns the argument into the notice to check. A stored
// merchant_uid wins; then a stored or PortOne-shaped imp_uid. For a
// merchant_uid, a paid payment is preferred over the latest attempt, as
// the reconciler does: it settles the order whatever else happened.
func verifyNotice(ctx context.Context, tc *toolConfig, id string) (payresult.Notice, error) {
	n := payresult.Notice{Source: payresult.SourceReconciler}
	if o, err := tc.store.Order(ctx, id); err == nil && o.PortOneAPI() == payresult.APIV2 {
		// A V2 paymentId is the order's merchant_uid, and names its one
		// payment.
		n.MerchantUID, n.API = id, payresult.APIV2
		return n, nil
	} else if err == nil {
		n.MerchantUID = id
	} else if o, err := tc.store.OrderByImpUID(ctx, id); err == nil {
		n.ImpUID, n.MerchantUID = id, o.MerchantUID
	} else if strings.HasPrefix(id, "imp_") {
		n.ImpUID = id
	} else {
		n.MerchantUID = id
	}
	if n.ImpUID == "" {
		pay, err := tc.gateway.FindPayment(ctx, n.MerchantUID, portone.StatusPaid)
		switch {
		case err == nil:
			n.ImpUID = pay.ImpUID
		case !portone.IsNotFound(err):
			var inputErr *portone.InputError
			if errors.As(err, &inputErr) {
				return n, payresult.WrapError(payresult.KindInvalid, err, "%q is not a merchant_uid or imp_uid", id)
			}
			return n, payresult.WrapError(payresult.KindTransient, err, "looking up the paid payment of %s at PortOne", n.MerchantUID)
		}
	}
	return n, nil
}

// printVerdict shows the stored order, PortOne's payment and the order as
// Confirm would leave it, side by side.
func printVerdict(w io.Writer, stored *payresult.Order, res *payresult.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tstored order\tPortOne payment\tafter Confirm")
	pay, next := res.Payment, res.Order
	row := func(name string, o func(*payresult.Order) string, p func(*portone.Payment) string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, orderField(stored, o), payField(pay, p), orderField(next, o))
	}
	row("merchant_uid", func(o *payresult.Order) string { return o.MerchantUID }, func(p *portone.Payment) string { return p.MerchantUID })
	row("imp_uid", func(o *payresult.Order) string { return o.ImpUID }, func(p *portone.Payment) string { return p.ImpUID })
	row("status", func(o *payresult.Order) string { return string(o.Status) }, func(p *portone.Payment) string { return string(p.Status) })
	row("amount", func(o *payresult.Order) string { return o.Amount.String() + " " + o.Currency },
		func(p *portone.Payment) string { return p.Amount.String() + " " + p.Currency })
	row("refunded", func(o *payresult.Order) string { return o.RefundedAmount.String() },
		func(p *portone.Payment) string { return p.CancelAmount.String() + " (cancel_amount)" })
	row("pay_method", func(*payresult.Order) string { return "" }, func(p *portone.Payment) string { return string(p.PayMethod) })
	row("deadline", func(o *payresult.Order) string { return vbankDeadline(o) }, func(p *portone.Payment) string { return unixTime(p.VbankDate) })
	row("paid_at", func(o *payresult.Order) string { return timeText(o.PaidAt) }, func(p *portone.Payment) string { return unixTime(p.PaidAt) })
	row("sandbox", func(*payresult.Order) string { return "" }, func(p *portone.Payment) string { return fmt.Sprint(p.Sandbox) })
	tw.Flush()
	change := "no change"
	if res.Changed {
		change = "would change the order"
	}
	fmt.Fprintf(w, "\nConfirm would decide: %s (%s): %s\n", res.Outcome, change, res.Reason)
}

func orderField(o *payresult.Order, f func(*payresult.Order) string) string {
	if o == nil {
		return "-"
	}
	return dash(f(o))
}

func payField(p *portone.Payment, f func(*portone.Payment) string) string {
	if p == nil {
		return "-"
	}
	return dash(f(p))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func vbankDeadline(o *payresult.Order) string {
	if o.Vbank == nil {
		return ""
	}
	return timeText(o.Vbank.Deadline)
}

func unixTime(t portone.Time) string { return timeText(t.Time()) }

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// verifyHelp is payresult verify --help.
var verifyHelp = help{
	name:  "verify",
	usage: "[--apply] [flags] <imp_uid|merchant_uid>",
	about: `
Looks the payment up at PortOne (for a merchant_uid: its paid payment if
there is one, else its latest attempt) and shows, side by side with the
stored order, what Confirm would decide. Nothing is changed unless --apply
is given; then Confirm runs exactly as for a webhook, and a forged payment
is cancelled at PortOne.

In sandbox mode it talks to the sandbox of the running payresult serve, at
the address PAYRESULT_ADDR (or --addr) names.`,
	flags:   []string{"apply"},
	shared:  toolSettings,
	example: "payresult verify order-1001\npayresult verify --apply imp_380188253111",
}
