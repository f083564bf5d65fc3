package bench

import (
	"context"
	"fmt"
	"sync"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// The local phase runs Confirm in this process on payresult's own store,
// with PortOne's answers already in memory: the order read, the decision
// and the durable write a paid confirm makes, and nothing of either HTTP
// hop. Beside the hop and the look-up floor it completes the parts of a
// confirm, so the goals' reach counts the write payresult must make (the
// order's compare-and-set, the attempt and the event, in one
// transaction) instead of the one-row commit floor.

// localGateway answers Confirm's look-ups from memory and passes
// everything else (the amount pre-registration of new orders) to PortOne.
type localGateway struct {
	payresult.Gateway
	mu       sync.RWMutex
	payments map[string]*portone.Payment
}

func (g *localGateway) put(p *portone.Payment) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.payments[p.ImpUID] = p
}

func (g *localGateway) Payment(_ context.Context, impUID string, _ bool) (*portone.Payment, error) {
	g.mu.RLock()
	p, ok := g.payments[impUID]
	g.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("the local phase holds no payment %s", impUID)
	}
	c := *p // Confirm may keep it; each caller gets its own
	return &c, nil
}

// openLocal opens the store the local phase confirms on, as serve opens
// its own, when the configuration says how.
func (e *env) openLocal(ctx context.Context, db string) error {
	if e.cfg.OpenStore == nil {
		return nil
	}
	st, err := e.cfg.OpenStore(ctx, db)
	if err != nil {
		return fmt.Errorf("opening the store for the local phase: %w", err)
	}
	e.cleanups = append(e.cleanups, st.Close)
	gw := &localGateway{Gateway: e.portone, payments: map[string]*portone.Payment{}}
	e.local = &payresult.Processor{Store: st, PortOne: gw}
	e.localPayments = gw
	return nil
}

// measureLocal registers and pays n orders (untimed: the order through
// the local processor, the payment at the emulator, whose answer is then
// kept in memory), then times one Confirm per order at concurrency c and
// checks that each made its order paid.
func (e *env) measureLocal(ctx context.Context, c int) (Stats, error) {
	e.progress("c=%d: preparing %d paid orders for the local phase", c, e.cfg.Orders)
	ms := make([]string, e.cfg.Orders)
	imps := make([]string, e.cfg.Orders)
	err := parallel(ctx, len(ms), func(ctx context.Context, i int) error {
		ms[i] = fmt.Sprintf("bench-%s-l%d-%d", e.run, c, i)
		_, _, err := e.local.CreateOrder(ctx, payresult.NewOrder{MerchantUID: ms[i], Name: "bench order", Amount: portone.Won(10000)})
		if err != nil {
			return fmt.Errorf("registering order %s: %w", ms[i], err)
		}
		o, err := e.pay(ctx, ms[i], "")
		if err != nil {
			return err
		}
		imps[i] = o.impUID
		p, err := e.portone.Payment(ctx, o.impUID, true)
		if err != nil {
			return fmt.Errorf("looking up payment %s: %w", o.impUID, err)
		}
		e.localPayments.put(p)
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	e.progress("c=%d: confirming in process (local)", c)
	return e.measure(ctx, c, len(ms), func(ctx context.Context, i int) error {
		n := payresult.Notice{ImpUID: imps[i], MerchantUID: ms[i], Source: payresult.SourceWebhook}
		res, err := e.local.Confirm(ctx, n)
		switch {
		case err != nil:
			return err
		case res.Order == nil || res.Order.Status != payresult.StatusPaid:
			return fmt.Errorf("local confirm of %s ended %s, not paid", ms[i], res.Outcome)
		}
		return nil
	}), nil
}
