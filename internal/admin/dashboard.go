package admin

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/reconcile"
)

// ordersPerPage is how many orders the dashboard lists at once.
const ordersPerPage = 50

// The reconciler's view reads at most backlogPerStatus open orders of
// each status, and lists the next nextChecks checks.
const (
	backlogPerStatus = 2000
	nextChecks       = 10
)

// statusCount is one status with its number of orders.
type statusCount struct {
	Status payresult.Status
	Count  int
}

// dashboardData is the data of the dashboard.
type dashboardData struct {
	Title  string
	Now    time.Time
	Counts []statusCount
	Total  int
	Filter payresult.Status
	// Awaiting filters the forged deposits that wait for the buyer's bank
	// account; AwaitingCount counts them.
	Awaiting      bool
	AwaitingCount int
	Search        string
	Orders        []*payresult.Order
	NextBefore    string // cursor of the next page of orders; "" on the last
	Chart         Chart
	Reconciler    reconcile.Backlog
	// Sweeps is the reconciler's sweeps, nil when unknown; Waiting and
	// OldestWait the orders waiting for a check, read from the store.
	Sweeps     *reconcile.SweepStatus
	Waiting    int
	OldestWait time.Time
	Dead       []payresult.Event
	// DeadTruncated says the scan for dead events stopped early.
	DeadTruncated bool
	FeedOnly      bool
	Token         string
	Done          string
}

// dashboard shows the orders (filtered by status, or the forged deposits
// waiting for an account, or searched by id), the counts by status, the
// chart, the reconciler's backlog and the dead events.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx, q := r.Context(), r.URL.Query()
	d := dashboardData{
		Title: "payresult 관리 · admin", Now: h.cfg.Now(), Token: h.csrf, Done: q.Get("done"), FeedOnly: h.cfg.FeedOnly,
		Filter: payresult.Status(q.Get("status")), Search: strings.TrimSpace(q.Get("q")), Awaiting: q.Get("awaiting") == "account",
	}
	if d.Filter != "" && !d.Filter.Valid() {
		h.message(w, http.StatusBadRequest, "알 수 없는 상태 · Unknown status "+string(d.Filter)+".")
		return
	}
	counts, err := h.cfg.Store.CountByStatus(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, s := range payresult.Statuses {
		d.Counts = append(d.Counts, statusCount{s, counts[s]})
		d.Total += counts[s]
	}
	steps := []func() error{
		func() error {
			awaiting, err := awaitingAccount(ctx, h.cfg.Store, counts[payresult.StatusForged])
			d.AwaitingCount = len(awaiting)
			if d.Awaiting {
				d.Orders = awaiting
			}
			return err
		},
		func() (err error) {
			if !d.Awaiting {
				d.Orders, d.NextBefore, err = h.listOrders(r, d.Filter, d.Search, q.Get("before"))
			}
			return err
		},
		func() (err error) {
			d.Reconciler, err = reconcile.ReadBacklog(ctx, h.cfg.Store, d.Now, backlogPerStatus, nextChecks)
			return err
		},
		func() (err error) {
			if h.cfg.Sweeps != nil {
				st := h.cfg.Sweeps()
				d.Sweeps = &st
			}
			if ss, ok := h.cfg.Store.(payresult.SweepStore); ok {
				d.Waiting, d.OldestWait, err = ss.WaitingOrders(ctx)
			}
			return err
		},
		func() (err error) { d.Dead, d.DeadTruncated, err = deadEvents(ctx, h.cfg.Store); return err },
		func() error {
			evs, truncated, err := eventsSince(ctx, h.cfg.Store, d.Now.Add(-chartMinutes*time.Minute))
			d.Chart = buildChart(evs, d.Now, truncated)
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "dashboard.html", &d)
}

// awaitingAccount returns the forged orders whose payment was deposited
// into a virtual account and not given back yet: payresult cannot
// cancel them without the buyer's bank account, so an operator must
// refund them with it. forged is how many forged orders there are; with
// none, nothing is read.
func awaitingAccount(ctx context.Context, s Store, forged int) ([]*payresult.Order, error) {
	var out []*payresult.Order
	before := ""
	for read := 0; read < forged && read < backlogPerStatus; {
		page, err := s.Orders(ctx, payresult.OrderFilter{Status: payresult.StatusForged, Limit: ordersPerPage, Before: before})
		if err != nil {
			return nil, err
		}
		for _, o := range page {
			if o.ForgeryCancelled {
				continue
			}
			attempts, err := s.Attempts(ctx, o.MerchantUID)
			if err != nil {
				return nil, err
			}
			if awaitsRefundAccount(o, attempts) {
				out = append(out, o)
			}
		}
		if len(page) < ordersPerPage {
			break
		}
		read += len(page)
		before = page[len(page)-1].MerchantUID
	}
	return out, nil
}

// listOrders returns a page of orders and the cursor of the next one. A
// search matches a merchant_uid or the imp_uid that decided an order, and
// then any attempt's imp_uid.
func (h *Handler) listOrders(r *http.Request, status payresult.Status, search, before string) ([]*payresult.Order, string, error) {
	ctx := r.Context()
	orders, err := h.cfg.Store.Orders(ctx, payresult.OrderFilter{Status: status, Search: search, Limit: ordersPerPage, Before: before})
	if err != nil {
		return nil, "", err
	}
	if search != "" && len(orders) == 0 {
		o, err := h.cfg.Store.OrderByImpUID(ctx, search)
		switch {
		case err == nil:
			orders = []*payresult.Order{o}
		case !payresult.IsNotFound(err):
			return nil, "", err
		}
	}
	next := ""
	if len(orders) == ordersPerPage {
		next = orders[len(orders)-1].MerchantUID
	}
	return orders, next, nil
}
