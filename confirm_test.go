package payresult_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
)

// step is one thing that happens at PortOne followed by one notice.
type step struct {
	at     func(e *env)                  // changes PortOne (and the clock); may be nil
	notice payresult.Notice              // then payresult hears about it
	want   payresult.Status              // the order's status after Confirm
	out    payresult.Outcome             // Confirm's outcome
	check  func(*payresult.Order) string // optional: returns a complaint
}

func webhook(imp string) payresult.Notice {
	return payresult.Notice{Source: payresult.SourceWebhook, ImpUID: imp, MerchantUID: "order-1"}
}

func redirect(imp string) payresult.Notice {
	return payresult.Notice{Source: payresult.SourceRedirect, ImpUID: imp, MerchantUID: "order-1"}
}

var reconcile = payresult.Notice{Source: payresult.SourceReconciler, MerchantUID: "order-1"}

func vbankPayment(imp string, deadline time.Time) *portone.Payment {
	p := payment(imp, "order-1", 10000, portone.StatusReady)
	p.PayMethod = portone.PayMethodVbank
	p.VbankCode = portone.NewNullString("004")
	p.VbankName = portone.NewNullString("KB 국민은행")
	p.VbankNum = portone.NewNullString("79959078731512")
	p.VbankHolder = portone.NewNullString("（주）케이지이니시")
	p.VbankDate = portone.TimeOf(deadline)
	p.VbankIssuedAt = portone.TimeOf(start)
	return p
}

// consoleCancel cancels amount of imp at PortOne, as the console does.
func consoleCancel(imp string, amount int64) func(e *env) {
	return func(e *env) {
		_, err := e.pg.Cancel(context.Background(), &portone.CancelRequest{ImpUID: imp, Amount: portone.AmountPtr(portone.Won(amount)), Reason: "관리자페이지취소"})
		if err != nil {
			panic(err)
		}
	}
}

func put(p *portone.Payment) func(e *env) { return func(e *env) { e.pg.put(p) } }

func TestConfirmFlows(t *testing.T) {
	t.Parallel()
	later := payment("imp_2", "order-1", 10000, portone.StatusPaid)
	later.StartedAt = portone.TimeOf(start.Add(time.Minute))
	reopened := payment("imp_2", "order-1", 10000, portone.StatusReady)
	reopened.StartedAt = portone.TimeOf(start.Add(time.Minute))
	deposit := vbankPayment("imp_1", start.Add(24*time.Hour))
	deposit.Status, deposit.PaidAt = portone.StatusPaid, portone.TimeOf(start.Add(time.Hour))
	refundedEarly := payment("imp_1", "order-1", 10000, portone.StatusCancelled)
	refundedEarly.PaidAt, refundedEarly.CancelAmount = portone.TimeOf(start), portone.Won(10000)

	hasVbank := func(o *payresult.Order) string {
		if o.Vbank == nil || o.Vbank.Number != "79959078731512" || o.Vbank.BankName != "KB 국민은행" {
			return fmt.Sprintf("virtual account %+v, want KB 국민은행 79959078731512", o.Vbank)
		}
		return ""
	}
	refunded := func(won int64) func(o *payresult.Order) string {
		return func(o *payresult.Order) string {
			if o.RefundedAmount != portone.Won(won) {
				return fmt.Sprintf("RefundedAmount %s, want %d", o.RefundedAmount, won)
			}
			return ""
		}
	}

	tests := []struct {
		name       string
		steps      []step
		wantEvents []payresult.EventType
	}{
		{
			name: "vbank issued then deposit",
			steps: []step{
				{at: put(vbankPayment("imp_1", start.Add(24*time.Hour))), notice: webhook("imp_1"), want: payresult.StatusVbankIssued, out: payresult.OutcomeVbankIssued, check: hasVbank},
				{notice: redirect("imp_1"), want: payresult.StatusVbankIssued, out: payresult.OutcomeDuplicate},
				{at: put(deposit), notice: webhook("imp_1"), want: payresult.StatusPaid, out: payresult.OutcomePaid, check: hasVbank},
			},
			wantEvents: []payresult.EventType{payresult.EventVbankIssued, payresult.EventPaid},
		},
		{
			name: "vbank expires after its deadline",
			steps: []step{
				{at: put(vbankPayment("imp_1", start.Add(time.Hour))), notice: webhook("imp_1"), want: payresult.StatusVbankIssued, out: payresult.OutcomeVbankIssued},
				{at: func(e *env) { e.clock.Advance(30 * time.Minute) }, notice: reconcile, want: payresult.StatusVbankIssued, out: payresult.OutcomeDuplicate},
				{at: func(e *env) { e.clock.Advance(31 * time.Minute) }, notice: reconcile, want: payresult.StatusExpired, out: payresult.OutcomeExpired},
				// A deposit PortOne accepted after payresult's deadline is real money: paid.
				{at: put(deposit), notice: webhook("imp_1"), want: payresult.StatusPaid, out: payresult.OutcomePaid},
			},
			wantEvents: []payresult.EventType{payresult.EventVbankIssued, payresult.EventExpired, payresult.EventPaid},
		},
		{
			name: "failed then a later attempt paid",
			steps: []step{
				{at: put(payment("imp_1", "order-1", 10000, portone.StatusFailed)), notice: redirect("imp_1"), want: payresult.StatusFailed, out: payresult.OutcomeFailed},
				{at: put(later), notice: webhook("imp_2"), want: payresult.StatusPaid, out: payresult.OutcomePaid},
				{notice: redirect("imp_1"), want: payresult.StatusPaid, out: payresult.OutcomeIgnored},
			},
			wantEvents: []payresult.EventType{payresult.EventFailed, payresult.EventPaid},
		},
		{
			name: "late ready after paid",
			steps: []step{
				{at: put(payment("imp_1", "order-1", 10000, portone.StatusPaid)), notice: redirect("imp_1"), want: payresult.StatusPaid, out: payresult.OutcomePaid},
				{at: put(reopened), notice: webhook("imp_2"), want: payresult.StatusPaid, out: payresult.OutcomeIgnored},
				{at: put(payment("imp_1", "order-1", 10000, portone.StatusReady)), notice: webhook("imp_1"), want: payresult.StatusPaid, out: payresult.OutcomeIgnoredLate},
			},
			wantEvents: []payresult.EventType{payresult.EventPaid},
		},
		{
			name: "console cancels in two parts",
			steps: []step{
				{at: put(payment("imp_1", "order-1", 10000, portone.StatusPaid)), notice: webhook("imp_1"), want: payresult.StatusPaid, out: payresult.OutcomePaid},
				{at: consoleCancel("imp_1", 3000), notice: webhook("imp_1"), want: payresult.StatusPartiallyRefunded, out: payresult.OutcomePartiallyRefunded, check: refunded(3000)},
				{notice: webhook("imp_1"), want: payresult.StatusPartiallyRefunded, out: payresult.OutcomeDuplicate},
				{at: consoleCancel("imp_1", 7000), notice: webhook("imp_1"), want: payresult.StatusRefunded, out: payresult.OutcomeRefunded, check: refunded(10000)},
			},
			wantEvents: []payresult.EventType{payresult.EventPaid, payresult.EventPartiallyRefunded, payresult.EventRefunded},
		},
		{
			name: "paid and cancelled before payresult heard of it",
			steps: []step{
				{at: put(refundedEarly), notice: reconcile, want: payresult.StatusRefunded, out: payresult.OutcomeRefunded, check: refunded(10000)},
			},
			wantEvents: []payresult.EventType{payresult.EventRefunded},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSQLiteEnv(t)
			e.order(t, "order-1")
			for i, s := range tt.steps {
				if s.at != nil {
					s.at(e)
				}
				res := e.confirm(t, s.notice)
				if res.Order.Status != s.want || res.Outcome != s.out {
					t.Fatalf("step %d: got %s (%s: %s), want %s (%s)", i, res.Order.Status, res.Outcome, res.Reason, s.want, s.out)
				}
				if stored := e.stored(t, "order-1"); stored.Status != s.want || stored.Version != res.Order.Version {
					t.Fatalf("step %d: stored %s v%d, Confirm returned %s v%d", i, stored.Status, stored.Version, res.Order.Status, res.Order.Version)
				}
				if s.check != nil {
					if msg := s.check(res.Order); msg != "" {
						t.Errorf("step %d: %s", i, msg)
					}
				}
			}
			if diff := cmp.Diff(tt.wantEvents, e.eventTypes(t, "order-1")); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConfirmEventCarriesOrder checks the event written with a change: a
// stable id and the order as it was after the change.
func TestConfirmEventCarriesOrder(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	e.order(t, "order-1")
	e.pg.put(payment("imp_1", "order-1", 10000, portone.StatusPaid))
	res := e.confirm(t, webhook("imp_1"))
	evs, err := e.store.OrderEvents(context.Background(), "order-1")
	if err != nil || len(evs) != 1 {
		t.Fatalf("OrderEvents = %d events, %v; want 1", len(evs), err)
	}
	ev := evs[0]
	if want := payresult.EventID("order-1", 2, payresult.EventPaid); ev.ID != want {
		t.Errorf("event id %s, want %s", ev.ID, want)
	}
	want, err := payresult.EventData(res.Order)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(ev.Data)); diff != "" {
		t.Errorf("event data is not the order after the change (-want +got):\n%s", diff)
	}
	attempts, err := e.store.Attempts(context.Background(), "order-1")
	if err != nil || len(attempts) != 1 || attempts[0].ImpUID != "imp_1" || attempts[0].Status != portone.StatusPaid {
		t.Errorf("Attempts = %+v, %v; want imp_1 paid", attempts, err)
	}
	lines, err := e.store.Notes(context.Background(), "order-1")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, l := range lines {
		kinds = append(kinds, l.Kind)
	}
	if diff := cmp.Diff([]string{"notice", "notice", "lookup", "transition"}, kinds); diff != "" {
		t.Errorf("timeline kinds (-want +got):\n%s", diff)
	}
}

// TestConfirmConcurrent confirms one paid payment from 50 goroutines at
// once, from all three sources: exactly one of them may change the order.
func TestConfirmConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		e := newEnv(t, s)
		e.order(t, "order-1")
		e.pg.put(payment("imp_1", "order-1", 10000, portone.StatusPaid))

		const n = 50
		notices := []payresult.Notice{redirect("imp_1"), webhook("imp_1"), reconcile}
		results := make([]*payresult.Result, n)
		errs := make([]error, n)
		begin := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-begin
				results[i], errs[i] = e.p.Confirm(context.Background(), notices[i%len(notices)])
			})
		}
		close(begin)
		wg.Wait()

		changed := 0
		for i := range n {
			if errs[i] != nil {
				t.Errorf("Confirm %d: %v", i, errs[i])
				continue
			}
			if results[i].Order.Status != payresult.StatusPaid {
				t.Errorf("Confirm %d returned %s, want paid", i, results[i].Order.Status)
			}
			if results[i].Changed {
				changed++
			}
		}
		if changed != 1 {
			t.Errorf("%d Confirms changed the order, want exactly 1", changed)
		}
		if got := e.stored(t, "order-1"); got.Status != payresult.StatusPaid || got.Version != 2 {
			t.Errorf("stored order %s v%d, want paid v2", got.Status, got.Version)
		}
		if diff := cmp.Diff([]payresult.EventType{payresult.EventPaid}, e.eventTypes(t, "order-1")); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
}
