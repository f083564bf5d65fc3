package payresult_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/fakeclock"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/postgres"
	"github.com/payresult/payresult/sqlite"
)

// database is a kind of database. Each handle a test opens to one stands
// for a payresult instance: two at once are two instances, one closed and
// another opened a restart.
type database struct {
	name string
	// fresh creates an empty database for t and returns how to open
	// handles to it, each closed when the test ends.
	fresh func(t *testing.T) func(t *testing.T) payresult.Store
}

// databases returns SQLite and, when PAYRESULT_TEST_POSTGRES is set,
// PostgreSQL (its tests skip otherwise).
func databases() []database {
	return []database{
		{"sqlite", func(t *testing.T) func(t *testing.T) payresult.Store {
			path := filepath.Join(t.TempDir(), "payresult.db")
			return func(t *testing.T) payresult.Store {
				s, err := sqlite.Open(context.Background(), path)
				if err != nil {
					t.Fatalf("open sqlite: %v", err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		}},
		{"postgres", func(t *testing.T) func(t *testing.T) payresult.Store {
			// A small pool: PostgreSQL's connections are shared with every
			// other test, and a test here opens several handles.
			url := testdb.PostgresURL(t) + "&pool_max_conns=4"
			return func(t *testing.T) payresult.Store {
				s, err := postgres.Open(context.Background(), url)
				if err != nil {
					t.Fatalf("open postgres: %v", err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		}},
	}
}

// keyed is a paid order-1 of 10,000 KRW at the real emulator, on a
// database that processors open handles to, all on one fake clock.
type keyed struct {
	em     *emulator.Emulator
	client *portone.Client
	clock  *fakeclock.Clock
	open   func(t *testing.T) payresult.Store
	imp    string // order-1's payment
}

func newKeyed(t *testing.T, db database) *keyed {
	t.Helper()
	em := emulator.New(emulator.Config{Seed: 1})
	srv := httptest.NewServer(em)
	t.Cleanup(func() {
		srv.Close()
		em.Close()
	})
	e := &keyed{
		em:     em,
		client: &portone.Client{BaseURL: srv.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret, MaxRetries: -1},
		clock:  fakeclock.New(start),
		open:   db.fresh(t),
	}
	p := e.processor(t, nil)
	ctx := context.Background()
	if _, _, err := p.CreateOrder(ctx, payresult.NewOrder{MerchantUID: "order-1", Name: "coffee beans", Amount: portone.Won(10000)}); err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	res, err := em.Pay(emulator.PaymentRequest{MerchantUID: "order-1", Name: "coffee beans", Amount: portone.Won(10000)}, emulator.OutcomePaid)
	if err != nil {
		t.Fatalf("Pay: %v", err)
	}
	res.Release()
	e.imp = res.Payment.ImpUID
	if r, err := p.Confirm(ctx, payresult.Notice{Source: payresult.SourceApp, ImpUID: e.imp}); err != nil || r.Order.Status != payresult.StatusPaid {
		t.Fatalf("Confirm = %+v, %v; want paid", r, err)
	}
	return e
}

// processor returns a processor on a new handle to the database, asking
// PortOne through gw (the emulator's client when nil).
func (e *keyed) processor(t *testing.T, gw payresult.Gateway) *payresult.Processor {
	if gw == nil {
		gw = e.client
	}
	return &payresult.Processor{Store: e.open(t), PortOne: gw, Now: e.clock.Now}
}

// refund asks p for a refund of amount KRW of order-1 with key.
func refund(p *payresult.Processor, key string, amount int64) (*payresult.Order, error) {
	return p.Refund(context.Background(), payresult.RefundRequest{MerchantUID: "order-1", Amount: portone.Won(amount), IdempotencyKey: key})
}

// wantRefunded checks what PortOne and the stored order say was refunded,
// and how many cancels PortOne carried out.
func (e *keyed) wantRefunded(t *testing.T, p *payresult.Processor, amount int64, cancels int) {
	t.Helper()
	pay, _ := e.em.Payment(e.imp)
	o, err := p.Store.Order(context.Background(), "order-1")
	if err != nil {
		t.Fatal(err)
	}
	if pay.CancelAmount != portone.Won(amount) || o.RefundedAmount != portone.Won(amount) || e.em.CancelCalls(e.imp) != cancels {
		t.Errorf("PortOne cancelled %s in %d cancels, the order says refunded %s; want %d in %d",
			pay.CancelAmount, e.em.CancelCalls(e.imp), o.RefundedAmount, amount, cancels)
	}
}

// orderDiff compares two answers' orders.
func orderDiff(a, b *payresult.Order) string {
	return cmp.Diff(a, b, cmpopts.EquateComparable(portone.Amount{}))
}

// gate is a Gateway whose cancels can be held until the test lets them
// go on, or can kill the goroutine that asks, as when payresult dies mid
// request.
type gate struct {
	payresult.Gateway
	entered chan struct{} // gets a value as a cancel begins, when not nil
	// proceed, when not nil, holds one cancel until it is closed; another
	// cancel meanwhile fails at once: two at a time is what must not be.
	proceed chan struct{}
	holding atomic.Bool
	asked   atomic.Int32 // cancels asked for

	// die ends the asking goroutine before the cancel reaches PortOne
	// ("before") or after PortOne carried it out ("after").
	die string
}

func (g *gate) Cancel(ctx context.Context, req *portone.CancelRequest) (*portone.Payment, error) {
	g.asked.Add(1)
	if g.entered != nil {
		select {
		case g.entered <- struct{}{}:
		default: // told already
		}
	}
	if g.proceed != nil {
		select {
		case <-g.proceed:
		default:
			if !g.holding.CompareAndSwap(false, true) {
				return nil, errors.New("gate: a second cancel while the first is held")
			}
			<-g.proceed
		}
	}
	if g.die == "before" {
		runtime.Goexit()
	}
	p, err := g.Gateway.Cancel(ctx, req)
	if g.die == "after" {
		runtime.Goexit()
	}
	return p, err
}

// dying runs fn on a goroutine of its own and returns when fn has
// returned or died.
func dying(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

// TestRefundKeyRepeated: the app sends a refund, its answer is lost, and
// it sends it again with the same key: the same answer, one refund. The
// key with another request is refused and changes nothing.
func TestRefundKeyRepeated(t *testing.T) {
	t.Parallel()
	for _, db := range databases() {
		t.Run(db.name, func(t *testing.T) {
			e := newKeyed(t, db)
			p := e.processor(t, nil)
			first, err := refund(p, "key-1", 2000)
			if err != nil || first.RefundedAmount != portone.Won(2000) {
				t.Fatalf("Refund = %+v, %v; want refunded 2000", first, err)
			}
			e.clock.Advance(time.Hour)
			again, err := refund(p, "key-1", 2000)
			if err != nil {
				t.Fatalf("repeated Refund: %v", err)
			}
			if d := orderDiff(first, again); d != "" {
				t.Errorf("repeated answer differs (-first +repeat):\n%s", d)
			}
			_, err = refund(p, "key-1", 3000)
			wantKind(t, err, payresult.KindIdempotencyMismatch)
			e.wantRefunded(t, p, 2000, 1)

			// Without a key the same request refunds again: what the key
			// is for.
			if _, err := refund(p, "", 2000); err != nil {
				t.Fatal(err)
			}
			e.wantRefunded(t, p, 4000, 2)
		})
	}
}

// TestRefundKeyConcurrent: requests with the key while the first still
// runs are refused with KindIdempotencyKeyInUse and refund nothing;
// requests racing for a key refund once between them.
func TestRefundKeyConcurrent(t *testing.T) {
	t.Parallel()
	for _, db := range databases() {
		t.Run(db.name, func(t *testing.T) {
			e := newKeyed(t, db)
			g := &gate{Gateway: e.client, entered: make(chan struct{}, 1), proceed: make(chan struct{})}
			p := e.processor(t, g)
			type result struct {
				o   *payresult.Order
				err error
			}
			firstDone := make(chan result, 1)
			go func() {
				o, err := refund(p, "key-1", 2000)
				firstDone <- result{o, err}
			}()
			<-g.entered
			for range 4 {
				_, err := refund(p, "key-1", 2000)
				wantKind(t, err, payresult.KindIdempotencyKeyInUse)
			}
			if n := g.asked.Load(); n != 1 {
				t.Errorf("PortOne was asked for %d cancels while the first ran, want 1", n)
			}
			close(g.proceed)
			first := <-firstDone
			if first.err != nil || first.o.RefundedAmount != portone.Won(2000) {
				t.Fatalf("first Refund = %+v, %v; want refunded 2000", first.o, first.err)
			}
			g.entered = nil
			e.wantRefunded(t, p, 2000, 1)

			// A burst of the same request, on two instances.
			const n = 8
			var wg sync.WaitGroup
			startLine := make(chan struct{})
			results := make([]result, n)
			instances := []*payresult.Processor{p, e.processor(t, nil)}
			for i := range n {
				q := instances[i%2]
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-startLine
					o, err := refund(q, "key-2", 3000)
					results[i] = result{o, err}
				}()
			}
			close(startLine)
			wg.Wait()
			var answers []*payresult.Order
			for _, r := range results {
				switch {
				case r.err == nil:
					answers = append(answers, r.o)
				case payresult.KindOf(r.err) != payresult.KindIdempotencyKeyInUse:
					t.Errorf("racing Refund: %v, want success or KindIdempotencyKeyInUse", r.err)
				}
			}
			if len(answers) == 0 {
				t.Fatal("no racing Refund succeeded")
			}
			for _, a := range answers[1:] {
				if d := orderDiff(answers[0], a); d != "" {
					t.Errorf("racing answers differ:\n%s", d)
				}
			}
			e.wantRefunded(t, p, 5000, 2)
		})
	}
}

// TestRefundKeyAfterRestart: the answer outlives the process; a request
// after a restart gets it and refunds nothing.
func TestRefundKeyAfterRestart(t *testing.T) {
	t.Parallel()
	for _, db := range databases() {
		t.Run(db.name, func(t *testing.T) {
			e := newKeyed(t, db)
			before := e.processor(t, nil)
			first, err := refund(before, "key-1", 2000)
			if err != nil {
				t.Fatal(err)
			}
			before.Store.(payresult.Store).Close()

			after := e.processor(t, nil)
			again, err := refund(after, "key-1", 2000)
			if err != nil {
				t.Fatalf("Refund after the restart: %v", err)
			}
			if d := orderDiff(first, again); d != "" {
				t.Errorf("answer after the restart differs (-first +after):\n%s", d)
			}
			e.wantRefunded(t, after, 2000, 1)
		})
	}
}

// TestRefundKeyTakenOver: payresult dies in the middle of a keyed refund,
// holding the key. A request with the key after the restart is refused
// while the dead claim's lease lasts, then takes the key over and ends
// the refund without refunding twice: whether the dead request's cancel
// reached PortOne or not, and even when a webhook applied it meanwhile
// (then the balance payresult knows matches PortOne's again, and only
// the pinned cancel keeps the retry from refunding once more).
func TestRefundKeyTakenOver(t *testing.T) {
	t.Parallel()
	for _, db := range databases() {
		for _, tt := range []struct {
			name    string
			die     string
			webhook bool // the dead request's cancel is applied by a webhook before the retry
			cancels int  // PortOne's cancels in all
		}{
			{"died before PortOne cancelled", "before", false, 1},
			{"died after PortOne cancelled", "after", false, 1},
			{"died after PortOne cancelled, applied by a webhook", "after", true, 1},
		} {
			t.Run(db.name+"/"+tt.name, func(t *testing.T) {
				e := newKeyed(t, db)
				dead := e.processor(t, &gate{Gateway: e.client, die: tt.die})
				dying(func() { refund(dead, "key-1", 2000) })
				dead.Store.(payresult.Store).Close()

				p := e.processor(t, nil)
				if tt.webhook {
					if _, err := p.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: e.imp}); err != nil {
						t.Fatal(err)
					}
				}
				_, err := refund(p, "key-1", 2000)
				wantKind(t, err, payresult.KindIdempotencyKeyInUse)

				e.clock.Advance(payresult.IdempotencyKeyLease)
				o, err := refund(p, "key-1", 2000)
				if err != nil || o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount != portone.Won(2000) {
					t.Fatalf("Refund after the lease = %+v, %v; want partially_refunded 2000", o, err)
				}
				e.wantRefunded(t, p, 2000, tt.cancels)
				again, err := refund(p, "key-1", 2000)
				if d := orderDiff(o, again); err != nil || d != "" {
					t.Errorf("repeat after the take-over: %v, diff (-first +repeat):\n%s", err, d)
				}
			})
		}
	}
}

// failCancel is a Gateway whose cancels fail with PortOne unreachable,
// after PortOne carried them out when lost is set.
type failCancel struct {
	payresult.Gateway
	lost bool
}

func (f *failCancel) Cancel(ctx context.Context, req *portone.CancelRequest) (*portone.Payment, error) {
	if f.lost {
		if _, err := f.Gateway.Cancel(ctx, req); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("connection reset: %w", &portone.Error{HTTPStatus: 503, Message: "unavailable"})
}

// TestRefundKeyOutcomeUnknown: a refund whose outcome cannot be known
// (PortOne unreachable) keeps no answer: the key is free at once, and the
// retry ends the refund, once.
func TestRefundKeyOutcomeUnknown(t *testing.T) {
	t.Parallel()
	for _, lost := range []bool{false, true} {
		t.Run(fmt.Sprintf("cancel carried out %t", lost), func(t *testing.T) {
			e := newKeyed(t, databases()[0])
			p := e.processor(t, &failCancel{Gateway: e.client, lost: lost})
			_, err := refund(p, "key-1", 2000)
			wantKind(t, err, payresult.KindTransient)

			p.PortOne = e.client
			o, err := refund(p, "key-1", 2000)
			if err != nil || o.RefundedAmount != portone.Won(2000) {
				t.Fatalf("retry = %+v, %v; want refunded 2000", o, err)
			}
			e.wantRefunded(t, p, 2000, 1)
		})
	}
}

// TestRefundKeyAnswersRefusal: a refusal is an answer too: the same
// request gets it again, even once the order could be refunded.
func TestRefundKeyAnswersRefusal(t *testing.T) {
	t.Parallel()
	e := newKeyed(t, databases()[0])
	p := e.processor(t, nil)
	_, err := refund(p, "key-1", 20000)
	wantKind(t, err, payresult.KindInvalid)
	_, again := refund(p, "key-1", 20000)
	var first, second *payresult.Error
	if !errors.As(err, &first) || !errors.As(again, &second) || first.Kind != second.Kind || first.Message != second.Message {
		t.Errorf("repeated refusal = %v, want the first's %v", again, err)
	}
	e.wantRefunded(t, p, 0, 0)
}

// TestIdempotencyKeyKept24Hours: a key's record answers for at least
// IdempotencyKeyRetention, and is pruned after: the key is then new.
func TestIdempotencyKeyKept24Hours(t *testing.T) {
	t.Parallel()
	e := newKeyed(t, databases()[0])
	p := e.processor(t, nil)
	if _, err := refund(p, "key-1", 2000); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(payresult.IdempotencyKeyRetention - time.Microsecond)
	_, err := refund(p, "key-1", 3000)
	wantKind(t, err, payresult.KindIdempotencyMismatch)

	e.clock.Advance(time.Hour) // past the retention, and past the next pruning
	if _, err := refund(p, "other-key", 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := refund(p, "key-1", 3000); err != nil {
		t.Fatalf("the key after its record was pruned: %v, want it new", err)
	}
	e.wantRefunded(t, p, 6000, 3)
}

// TestCreateOrderKey: order registration honours the key the same way:
// the repeat is answered as created, as the first was.
func TestCreateOrderKey(t *testing.T) {
	t.Parallel()
	e := newKeyed(t, databases()[0])
	p := e.processor(t, nil)
	ctx := context.Background()
	n := payresult.NewOrder{MerchantUID: "order-2", Name: "tea", Amount: portone.Won(5000), IdempotencyKey: "key-1"}
	first, created, err := p.CreateOrder(ctx, n)
	if err != nil || !created {
		t.Fatalf("CreateOrder = %v, %v; want created", created, err)
	}
	again, created, err := p.CreateOrder(ctx, n)
	if err != nil || !created {
		t.Fatalf("repeated CreateOrder = created %t, %v; want the first answer, created", created, err)
	}
	if d := orderDiff(first, again); d != "" {
		t.Errorf("repeated answer differs:\n%s", d)
	}
	n.Amount = portone.Won(6000)
	_, _, err = p.CreateOrder(ctx, n)
	wantKind(t, err, payresult.KindIdempotencyMismatch)
	n.IdempotencyKey = "bad key"
	_, _, err = p.CreateOrder(ctx, n)
	wantKind(t, err, payresult.KindInvalid)
}
