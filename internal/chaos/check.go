package chaos

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
)

// expectation is the state PortOne's ledger says a flow's order must end
// in.
type expectation struct {
	status payresult.Status
	impUID string           // the payment that decides it; "" for pending
	pay    *portone.Payment // the flow's own payment; nil when none was made
}

// expect derives a flow's expected order state from its payment: the
// latest payment PortOne has for the order (each flow makes one).
func expect(f *flow, ledger ledger) expectation {
	var p *portone.Payment
	if ps := ledger[f.merchantUID]; len(ps) > 0 {
		p = ps[len(ps)-1]
	}
	switch {
	case p == nil:
		return expectation{status: payresult.StatusPending}
	case !p.PaidAt.IsZero() && f.kind == KindTampered:
		return expectation{status: payresult.StatusForged, impUID: p.ImpUID, pay: p}
	case !p.PaidAt.IsZero():
		return expectation{status: payresult.StatusPaid, impUID: p.ImpUID, pay: p}
	case p.IsVbankIssued():
		return expectation{status: payresult.StatusVbankIssued, impUID: p.ImpUID, pay: p}
	case p.Status == portone.StatusFailed:
		return expectation{status: payresult.StatusFailed, impUID: p.ImpUID, pay: p}
	}
	return expectation{status: payresult.StatusPending, pay: p}
}

// converged reports whether o has reached what e expects: a forged order
// only once PortOne has confirmed the cancel of its payment.
func (e expectation) converged(o *payresult.Order) bool {
	if o == nil || o.Status != e.status || (e.impUID != "" && o.ImpUID != e.impUID) {
		return false
	}
	return e.status != payresult.StatusForged || o.ForgeryCancelled
}

// orderDetail is what GET /api/orders/{merchant_uid} answers.
type orderDetail struct {
	Order    *payresult.Order    `json:"order"`
	Attempts []payresult.Attempt `json:"attempts"`
	Events   []payresult.Event   `json:"events"`
}

// fetchOrder reads one order from any running instance.
func (d *driver) fetchOrder(ctx context.Context, merchantUID string) (*orderDetail, error) {
	var last error
	for _, in := range d.fleet.instances {
		var od orderDetail
		status, err := d.request(ctx, http.MethodGet, in.url+"/api/orders/"+merchantUID, nil, &od)
		switch {
		case err == nil && status == http.StatusOK:
			return &od, nil
		case err == nil && status == http.StatusNotFound:
			return nil, nil
		case err == nil:
			last = fmt.Errorf("GET order %s: HTTP %d", merchantUID, status)
		default:
			last = err
		}
	}
	return nil, last
}

// fetchOrders reads the orders of flows, eight at a time.
func (d *driver) fetchOrders(ctx context.Context, flows []*flow) (map[int]*orderDetail, error) {
	out := make(map[int]*orderDetail, len(flows))
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, f := range flows {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			od, err := d.fetchOrder(ctx, f.merchantUID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			out[f.n] = od
		})
	}
	wg.Wait()
	return out, firstErr
}

// ledger is the emulator's payments by merchant_uid, oldest first: V1's,
// and V2's as V1 would report them (see v1View).
type ledger map[string][]*portone.Payment

// ledger reads the emulator's payments through its control API.
func (d *driver) ledger(ctx context.Context) (ledger, error) {
	var body struct {
		Payments []portone.Payment `json:"payments"`
	}
	if err := d.call(ctx, http.MethodGet, d.emURL+"/__emulator/payments", nil, http.StatusOK, &body); err != nil {
		return nil, fmt.Errorf("reading the emulator's ledger: %w", err)
	}
	var v2 struct {
		Payments []portonev2.Payment `json:"payments"`
	}
	if err := d.call(ctx, http.MethodGet, d.emURL+"/__emulator/v2/payments", nil, http.StatusOK, &v2); err != nil {
		return nil, fmt.Errorf("reading the emulator's V2 ledger: %w", err)
	}
	out := make(ledger, len(body.Payments)+len(v2.Payments))
	for i := range body.Payments {
		p := &body.Payments[i]
		out[p.MerchantUID] = append(out[p.MerchantUID], p)
	}
	for i := range v2.Payments {
		p := v1View(&v2.Payments[i])
		out[p.MerchantUID] = append(out[p.MerchantUID], p)
	}
	return out, nil
}

// webhooks reads every webhook attempt the emulator made.
func (d *driver) webhooks(ctx context.Context) ([]emulator.WebhookDelivery, error) {
	var body struct {
		Webhooks []emulator.WebhookDelivery `json:"webhooks"`
	}
	if err := d.call(ctx, http.MethodGet, d.emURL+"/__emulator/webhooks", nil, http.StatusOK, &body); err != nil {
		return nil, fmt.Errorf("reading the emulator's webhooks: %w", err)
	}
	return body.Webhooks, nil
}

// converge waits until every flow's order has reached the state the
// ledger expects, or until timeout. It returns how long that took.
func (d *driver) converge(ctx context.Context, timeout time.Duration, progress func(left int)) (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(timeout)
	left := d.plan.createdFlows()
	for {
		ledger, err := d.ledger(ctx)
		if err != nil {
			return time.Since(start), err
		}
		orders, err := d.fetchOrders(ctx, left)
		if err != nil && ctx.Err() != nil {
			return time.Since(start), err
		}
		var still []*flow
		for _, f := range left {
			od := orders[f.n]
			if od == nil || !expect(f, ledger).converged(od.Order) {
				still = append(still, f)
			}
		}
		left = still
		progress(len(left))
		if len(left) == 0 || time.Now().After(deadline) {
			return time.Since(start), nil
		}
		if !pause(ctx, 250*time.Millisecond) {
			return time.Since(start), ctx.Err()
		}
	}
}

// createdFlows lists the flows whose order payresult registered.
func (p *plan) createdFlows() []*flow {
	var out []*flow
	for _, f := range p.flows {
		if f.created {
			out = append(out, f)
		}
	}
	return out
}
