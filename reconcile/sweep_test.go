package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/reconcile"
)

// recordingLister lists through V1's lister, records each call, checks
// that no two owners list one window at the same time, and fails the
// failAt-th paid page (counting from 1; 0 for never).
type recordingLister struct {
	reconcile.V1Lister
	owner  string
	shared *listings
	failAt int
}

// listings is what the recording listers of one test saw.
type listings struct {
	mu       sync.Mutex
	calls    []listing
	inFlight map[string]string // window start -> owner listing it now
	overlaps []string
	paid     int
	failed   time.Time // where the failed listing began
}

type listing struct {
	owner, status string
	from          time.Time
	page          int
}

func (l *recordingLister) List(ctx context.Context, status string, from, to time.Time, page int) ([]portone.Payment, int, error) {
	s := l.shared
	key := status + "@" + to.String() // a window's end names it, whatever part of it is read
	s.mu.Lock()
	s.calls = append(s.calls, listing{l.owner, status, from, page})
	if other, ok := s.inFlight[key]; ok && other != l.owner {
		s.overlaps = append(s.overlaps, fmt.Sprintf("%s and %s both list %s", other, l.owner, key))
	}
	s.inFlight[key] = l.owner
	fail := false
	if status == "paid" {
		s.paid++
		fail = s.paid == l.failAt
		if fail {
			s.failed = from
		}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.inFlight, key)
		s.mu.Unlock()
	}()
	if fail {
		return nil, 0, errors.New("PortOne unreachable")
	}
	return l.V1Lister.List(ctx, status, from, to, page)
}

// pages returns the paid windows (by the start of what was read) that
// owner listed.
func (s *listings) paidStarts(owner string) map[time.Time]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[time.Time]int{}
	for _, c := range s.calls {
		if c.owner == owner && c.status == "paid" && c.page == 1 {
			out[c.from]++
		}
	}
	return out
}

// backlog makes n orders, one every spacing, each paid at once with its
// webhook and redirect lost, and returns their merchant_uids.
func (h *harness) backlog(t *testing.T, n int, spacing time.Duration) []string {
	t.Helper()
	var uids []string
	for i := range n {
		h.order(t, uid(i), 1000+int64(i))
		h.pay(t, uid(i), 1000+int64(i))
		uids = append(uids, uid(i))
		h.clock.Advance(spacing)
	}
	return uids
}

// wantAllPaidOnce checks that every order is paid with exactly one
// order.paid event.
func (h *harness) wantAllPaidOnce(t *testing.T, uids []string) {
	t.Helper()
	events := h.allEvents(t)
	for _, u := range uids {
		if o := h.mustOrder(t, u); o.Status != payresult.StatusPaid {
			t.Errorf("order %s is %s, want paid", u, o.Status)
		}
		if diff := cmp.Diff([]payresult.EventType{payresult.EventPaid}, events[u]); diff != "" {
			t.Errorf("order %s events (-want +got):\n%s", u, diff)
		}
	}
}

func (h *harness) recording(r *reconcile.Reconciler, owner string, s *listings, failAt int) {
	client := h.rec.PortOne.(reconcile.StatusLister)
	r.Owner = owner
	r.Listers = []reconcile.Lister{&recordingLister{V1Lister: reconcile.V1Lister{Client: client}, owner: owner, shared: s, failAt: failAt}}
}

// TestSweepRestartResumes: a sweep of a backlog spread over an hour dies
// half-way (PortOne fails in the middle of a window). A new instance (a
// restart: another owner) resumes: it leaves the window the dead one held
// until its lease runs out, never lists again the windows already done,
// and then settles every order, each with one event.
func TestSweepRestartResumes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		h := newHarness(t, s)
		uids := h.backlog(t, 600, 6*time.Second) // one hour: six paid windows, a hundred orders each
		h.clock.Advance(10 * time.Minute)        // every window has closed
		seen := &listings{inFlight: map[string]string{}}
		first := h.instance("first")
		h.recording(first, "first", seen, 8) // windows are listed newest first, two pages each
		ctx := context.Background()
		firstNow := h.clock.Now()
		if _, err := first.SweepRound(ctx); !payresult.IsTransient(err) {
			t.Fatalf("first SweepRound = %v, want the transient failure", err)
		}
		done := first.SweepStatus()
		if done.WindowsDone == 0 || done.WindowsDone >= done.WindowsDue {
			t.Fatalf("the first round finished %d of %d windows; the test wants it to die half-way", done.WindowsDone, done.WindowsDue)
		}
		paidBefore := 0
		for _, u := range uids {
			if h.mustOrder(t, u).Status == payresult.StatusPaid {
				paidBefore++
			}
		}
		t.Logf("the first instance paid %d orders before it died", paidBefore)

		second := h.instance("second")
		h.recording(second, "second", seen, 0)
		if _, err := second.SweepRound(ctx); err != nil {
			t.Fatalf("second instance's SweepRound: %v", err)
		}
		h.clock.Advance(reconcile.DefaultLease)
		if _, err := second.SweepRound(ctx); err != nil {
			t.Fatalf("second instance's SweepRound after the lease: %v", err)
		}
		h.wantAllPaidOnce(t, uids)

		// The second lists again only the window the first died in, and
		// the windows the first swept too soon after their end to be final
		// (those it reads again from where the first began, less the
		// overlap).
		for start, n := range seen.paidStarts("second") {
			soon := !firstNow.After(start.Add(reconcile.DefaultSweepWidth + reconcile.DefaultSweepOverlap))
			if seen.paidStarts("first")[start] > 0 && !start.Equal(seen.failed) && !soon {
				t.Errorf("the second instance listed the paid window from %v again, which the first had done", start)
			}
			if n > 1 {
				t.Errorf("the second instance listed the paid window from %v %d times", start, n)
			}
		}
		if len(seen.overlaps) > 0 {
			t.Errorf("windows listed at once by two owners: %v", seen.overlaps)
		}
	})
}

// TestSweepTwoInstances: two instances sweep one backlog at the same
// time. No window is listed by both at once, none is missed: every order
// is paid once.
func TestSweepTwoInstances(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		h := newHarness(t, s)
		uids := h.backlog(t, 800, 5*time.Second) // 66 minutes: seven paid windows
		h.clock.Advance(10 * time.Minute)
		seen := &listings{inFlight: map[string]string{}}
		a, b := h.instance("a"), h.instance("b")
		h.recording(a, "a", seen, 0)
		h.recording(b, "b", seen, 0)
		var wg sync.WaitGroup
		sums := make([]reconcile.Summary, 2)
		for i, r := range []*reconcile.Reconciler{a, b} {
			wg.Go(func() {
				var err error
				if sums[i], err = r.SweepRound(context.Background()); err != nil {
					t.Errorf("instance %d: SweepRound: %v", i, err)
				}
			})
		}
		wg.Wait()
		t.Logf("instance a confirmed %d payments, b %d", sums[0].Checked, sums[1].Checked)
		if got := sums[0].Add(sums[1]); got.PaidLate != len(uids) || got.Changed != len(uids) {
			t.Errorf("two rounds together = %+v, want %d orders paid late", got, len(uids))
		}
		h.wantAllPaidOnce(t, uids)
		if len(seen.overlaps) > 0 {
			t.Errorf("windows listed at once by two owners: %v", seen.overlaps)
		}
		as, bs := seen.paidStarts("a"), seen.paidStarts("b")
		for start := range as {
			if bs[start] > 0 {
				t.Errorf("the paid window from %v was swept by both instances", start)
			}
		}
		// Every window is now final: later rounds list nothing again.
		calls := len(seen.calls)
		h.clock.Advance(time.Hour)
		for _, r := range []*reconcile.Reconciler{a, b} {
			if sum, err := r.SweepRound(context.Background()); err != nil || sum != (reconcile.Summary{}) {
				t.Errorf("a round after all is done = %+v, %v; want nothing done", sum, err)
			}
		}
		for _, c := range seen.calls[calls:] {
			if c.status == "paid" {
				t.Errorf("a final paid window was listed again: %+v", c)
			}
		}
	})
}

// TestSweepTamperedAmount: PortOne lists a paid payment whose amount is
// not its order's. The sweep refuses it (the order is forged) and
// cancels it at PortOne exactly once, however often it is swept and
// checked after.
func TestSweepTamperedAmount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		h.order(t, "tampered", 10000)
		pay, err := h.emu.Put(portone.Payment{MerchantUID: "tampered", Amount: portone.Won(100), Currency: "KRW",
			Status: portone.StatusPaid, PayMethod: portone.PayMethodCard,
			StartedAt: portone.TimeOf(h.clock.Now()), PaidAt: portone.TimeOf(h.clock.Now())})
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(30 * time.Second)
		h.emu.ResetRequests()
		sum, err := h.rec.SweepRound(ctx)
		if err != nil {
			t.Fatalf("SweepRound: %v", err)
		}
		if sum.Changed != 1 || sum.PaidLate != 0 {
			t.Errorf("sweep = %+v, want one change and nothing paid", sum)
		}
		if got := h.emu.Requests().ByEndpoint["GET /payments"]; got != 0 {
			t.Errorf("the sweep looked the payment up %d times; it decides from the listed record", got)
		}
		for range 3 {
			h.clock.Advance(10 * time.Minute)
			if _, err := h.rec.SweepRound(ctx); err != nil {
				t.Fatalf("SweepRound: %v", err)
			}
			h.pass(t)
		}
		o := h.mustOrder(t, "tampered")
		if o.Status != payresult.StatusForged || !o.ForgeryCancelled {
			t.Errorf("order is %s (cancel confirmed %t), want forged and cancelled", o.Status, o.ForgeryCancelled)
		}
		if diff := cmp.Diff([]payresult.EventType{payresult.EventForged}, h.eventTypes(t, "tampered")); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if got := h.emu.Requests().ByEndpoint["POST /payments/cancel"]; got != 1 {
			t.Errorf("%d cancels sent to PortOne, want exactly 1", got)
		}
		p, _ := h.emu.Payment(pay.ImpUID)
		if len(p.CancelHistory) != 1 || p.CancelAmount != portone.Won(100) {
			t.Errorf("PortOne's payment: cancelled %s in %d steps, want 100 in one", p.CancelAmount, len(p.CancelHistory))
		}
	})
}

// TestSweepAlreadyPaid: PortOne lists the payment of an order payresult
// already holds as paid (its webhook came). The sweep changes nothing:
// no Confirm, no event, no timeline line, no new version.
func TestSweepAlreadyPaid(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		h.paidAndConfirmed(t, "paid-by-webhook", 15000)
		h.order(t, "still-waiting", 5000) // keeps the paid windows in the sweep
		before := h.mustOrder(t, "paid-by-webhook")
		notes, err := s.Notes(ctx, "paid-by-webhook")
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Minute)
		sum, err := h.rec.SweepRound(ctx)
		if err != nil {
			t.Fatalf("SweepRound: %v", err)
		}
		if sum != (reconcile.Summary{}) {
			t.Errorf("sweep = %+v, want nothing done", sum)
		}
		if st := h.rec.SweepStatus(); st.Listed == 0 {
			t.Errorf("the sweep listed nothing; want the paid payment listed")
		}
		after := h.mustOrder(t, "paid-by-webhook")
		if diff := cmp.Diff(before, after, cmpopts.EquateComparable(portone.Amount{})); diff != "" {
			t.Errorf("order changed (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff([]payresult.EventType{payresult.EventPaid}, h.eventTypes(t, "paid-by-webhook")); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if got, err := s.Notes(ctx, "paid-by-webhook"); err != nil || len(got) != len(notes) {
			t.Errorf("timeline has %d lines (%v), want the %d it had", len(got), err, len(notes))
		}
	})
}

// TestRunSweeps: Run sweeps before it checks orders one by one, so a
// backlog whose checks are all due costs a list request per hundred
// orders, and no per-order look-up.
func TestRunSweeps(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		h := newHarness(t, s)
		uids := h.backlog(t, 250, time.Second)
		h.clock.Advance(reconcile.DefaultSchedule[0]) // every order's first check is due
		h.rec.Interval = 5 * time.Millisecond
		h.emu.ResetRequests()
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- h.rec.Run(ctx) }()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			n, err := s.CountByStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n[payresult.StatusPaid] == len(uids) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("waited 20 s for every order to be paid: %v", n)
			}
		}
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		h.wantAllPaidOnce(t, uids)
		got := h.emu.Requests()
		if n := got.ByEndpoint["GET /payments/find"] + got.ByEndpoint["GET /payments"]; n != 0 {
			t.Errorf("%d per-order look-ups, want none: the sweep came first (%v)", n, got.ByEndpoint)
		}
		// Three pages of paid payments, a page for each of the other
		// statuses' windows (ready, failed: one window each; cancelled:
		// 72 hours of 6-hour windows), and a token.
		if want := 3 + 2*2 + 13 + 1; got.Total > want {
			t.Errorf("%d PortOne requests (%v), want at most %d", got.Total, got.ByEndpoint, want)
		}
		t.Logf("PortOne requests: %v", got.ByEndpoint)
	})
}

// TestNoticesDoNotWaitBehindReconciler: the reconciler's rate limit holds
// its own requests only. With the limit at one request per 1,000 s and a
// sweep and a pass waiting on it, a webhook's Confirm still goes straight
// to PortOne.
func TestNoticesDoNotWaitBehindReconciler(t *testing.T) {
	h := newHarness(t, testdb.OpenSQLite(t))
	h.backlog(t, 3, time.Second)
	h.order(t, "webhook-arrives", 2000)
	p := h.pay(t, "webhook-arrives", 2000)
	h.clock.Advance(reconcile.DefaultSchedule[0])
	h.rec.RateLimit = 0.001
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { h.rec.SweepRound(ctx) }) // takes the one request, then waits 1,000 s
	wg.Go(func() { h.rec.Pass(ctx) })
	confirmed := make(chan error, 1)
	go func() {
		_, err := h.proc.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: p.ImpUID})
		confirmed <- err
	}()
	select {
	case err := <-confirmed:
		if err != nil {
			t.Fatalf("webhook Confirm: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook's Confirm waited behind the reconciler's rate limit")
	}
	stop()
	wg.Wait()
	if o := h.mustOrder(t, "webhook-arrives"); o.Status != payresult.StatusPaid {
		t.Errorf("order is %s, want paid", o.Status)
	}
}
