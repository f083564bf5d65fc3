package admin

import (
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
	Title      string
	Now        time.Time
	Counts     []statusCount
	Total      int
	Filter     payresult.Status
	Search     string
	Orders     []*payresult.Order
	NextBefore string // cursor of the next page of orders; "" on the last
	Chart      Chart
	Reconciler reconcile.Backlog
	Dead       []payresult.Event
	// DeadTruncated says the scan for dead events stopped early.
	DeadTruncated bool
	Token         string
	Resent        string
}

// dashboard shows the orders (filtered by status or searched by id), the
// counts by status, the chart, the reconciler's state and dead events.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx, q := r.Context(), r.URL.Query()
	d := dashboardData{
		Title: "payresult admin", Now: h.cfg.Now(), Token: h.csrf, Resent: q.Get("resent"),
		Filter: payresult.Status(q.Get("status")), Search: strings.TrimSpace(q.Get("q")),
	}
	if d.Filter != "" && !d.Filter.Valid() {
		h.message(w, http.StatusBadRequest, "Unknown status "+string(d.Filter)+".")
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
		func() (err error) {
			d.Orders, d.NextBefore, err = h.listOrders(r, d.Filter, d.Search, q.Get("before"))
			return err
		},
		func() (err error) {
			d.Reconciler, err = reconcile.ReadBacklog(ctx, h.cfg.Store, d.Now, backlogPerStatus, nextChecks)
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
	h.render(w, http.StatusOK, "dashboard.html", &d)
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
