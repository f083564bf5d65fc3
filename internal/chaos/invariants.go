package chaos

import (
	"context"
	"strings"

	"github.com/payresult/payresult"
)

// check reads the final state of every order, PortOne's ledger and its
// webhook log, and builds the report.
func (s *soak) check(ctx context.Context) (*Report, error) {
	d := s.driver
	ledger, err := d.ledger(ctx)
	if err != nil {
		return nil, err
	}
	created := d.plan.createdFlows()
	orders, err := d.fetchOrders(ctx, created)
	if err != nil {
		return nil, err
	}
	hooks, err := d.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Seed: s.cfg.Seed, Database: s.dbKind, Instances: s.cfg.Instances,
		Payments: len(d.plan.flows), ByKind: map[Kind]int{}, ByAPI: map[string]int{}, Faults: map[string]int{},
		Kills: int(d.kills.Load()),
	}
	if len(s.fleet.instances) > 1 {
		rep.KillsByInstance = s.fleet.killsByInstance()
	}
	for _, c := range s.fleet.crashes() {
		rep.violate(&rep.Crashes, "%s", c)
	}
	var times []flowTime
	for _, f := range d.plan.flows {
		rep.count(f)
		if f.err != nil {
			rep.violate(&rep.NotPlayed, "%s (%s): %v", f.merchantUID, f.kind, f.err)
		}
		if !f.created {
			continue
		}
		od := orders[f.n]
		rep.check(f, od, ledger)
		e := expect(f, ledger)
		if od != nil && e.status != payresult.StatusPending && e.converged(od.Order) && !f.done.IsZero() {
			times = append(times, flowTime{f, max(od.Order.UpdatedAt.Sub(f.done), 0)})
		}
	}
	rep.countWebhooks(hooks)
	rep.convergence(times)
	return rep, nil
}

// count adds a flow to the tallies of kinds and faults.
func (r *Report) count(f *flow) {
	r.ByKind[f.kind]++
	r.ByAPI[string(f.api)]++
	r.ByAPI[string(f.api)+" "+string(f.kind)]++
	if f.phase != "" && f.phase != "none" {
		for _, name := range strings.Split(f.phase, "+") {
			r.Faults["payments under "+name]++
		}
	}
	if f.kind == KindAbandoned || f.impUID == "" {
		return
	}
	switch {
	case f.loseRedirect:
		r.Faults["redirects lost (browser closed)"]++
	case !f.redirected:
		r.Faults["redirects unanswered (service down or slow)"]++
	}
}
