package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payresult/payresult"
)

// scrapeTimeout bounds the store reads of one scrape; Prometheus's own
// default scrape timeout is ten seconds.
const scrapeTimeout = 5 * time.Second

// Paging through unsettled orders to find the oldest stops after
// maxScanPages pages of scanPage orders: past that the gauge reports the
// oldest order seen, a lower bound, rather than slowing every scrape.
const (
	scanPage     = 500
	maxScanPages = 20
)

var (
	ordersDesc = prometheus.NewDesc(namespace+"_orders",
		"Orders in the store, by status.", []string{"status"}, nil)
	oldestDesc = prometheus.NewDesc(namespace+"_oldest_unsettled_order_age_seconds",
		"Age of the oldest order still pending or waiting for a virtual account deposit; 0 when there is none.", nil, nil)
	storeUpDesc = prometheus.NewDesc(namespace+"_store_up",
		"Whether the store answered the last scrape (1) or not (0).", nil, nil)
	outboxDesc = prometheus.NewDesc(namespace+"_outbox_events",
		"Events for the app not delivered, by state: pending (waiting or retrying) or dead (delivery gave up).", []string{"state"}, nil)
	outboxAgeDesc = prometheus.NewDesc(namespace+"_outbox_oldest_pending_age_seconds",
		"Age of the oldest event still waiting for delivery; 0 when none is.", nil, nil)
)

// storeCollector reads the store at scrape time, so that the figures are
// right across restarts and across instances sharing one database.
type storeCollector struct {
	store payresult.Store
	now   func() time.Time
	log   *slog.Logger
	// outbox adds the outbox backlog: only when events are delivered, as
	// with no events URL every event stays pending in the feed.
	outbox bool
}

func newStoreCollector(s payresult.Store, now func() time.Time, log *slog.Logger, outbox bool) *storeCollector {
	if now == nil {
		now = time.Now
	}
	return &storeCollector{store: s, now: now, log: log, outbox: outbox}
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- ordersDesc
	ch <- oldestDesc
	ch <- storeUpDesc
	if _, ok := c.store.(payresult.SweepStore); ok {
		ch <- waitingDesc
		ch <- oldestWaitDesc
	}
	if c.outbox {
		ch <- outboxDesc
		ch <- outboxAgeDesc
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	counts, err := c.store.CountByStatus(ctx)
	var (
		oldest  time.Time
		backlog payresult.OutboxBacklog
	)
	if err == nil {
		oldest, err = OldestUnsettled(ctx, c.store, counts)
	}
	if err == nil && c.outbox {
		backlog, err = c.store.OutboxBacklog(ctx)
	}
	var (
		waiting    int
		oldestWait time.Time
	)
	ss, sweeps := c.store.(payresult.SweepStore)
	if err == nil && sweeps {
		waiting, oldestWait, err = ss.WaitingOrders(ctx)
	}
	if err != nil {
		c.log.Warn("metrics: reading the store", "err", err)
		ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 1)
	for _, s := range payresult.Statuses {
		ch <- prometheus.MustNewConstMetric(ordersDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, c.age(oldest))
	if sweeps {
		ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(waiting))
		ch <- prometheus.MustNewConstMetric(oldestWaitDesc, prometheus.GaugeValue, c.age(oldestWait))
	}
	if c.outbox {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(backlog.Pending), "pending")
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(backlog.Dead), "dead")
		ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, c.age(backlog.OldestPending))
	}
}

// age is how long ago t was, in seconds; 0 for the zero time.
func (c *storeCollector) age(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return max(c.now().Sub(t).Seconds(), 0)
}

// OldestUnsettled returns when the oldest order that is still pending or
// waiting for a deposit was created, or the zero time when there is
// none. counts (from CountByStatus) lets it skip empty statuses.
func OldestUnsettled(ctx context.Context, s payresult.Store, counts map[payresult.Status]int) (time.Time, error) {
	var oldest time.Time
	for _, st := range []payresult.Status{payresult.StatusPending, payresult.StatusVbankIssued} {
		if counts[st] == 0 {
			continue
		}
		t, err := oldestWith(ctx, s, st)
		if err != nil {
			return time.Time{}, err
		}
		if !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	return oldest, nil
}

// oldestWith pages newest-first through the orders with status st and
// returns the creation time of the last one.
func oldestWith(ctx context.Context, s payresult.Store, st payresult.Status) (time.Time, error) {
	var (
		oldest time.Time
		before string
	)
	for range maxScanPages {
		page, err := s.Orders(ctx, payresult.OrderFilter{Status: st, Limit: scanPage, Before: before})
		if err != nil {
			return time.Time{}, err
		}
		for _, o := range page {
			if oldest.IsZero() || o.CreatedAt.Before(oldest) {
				oldest = o.CreatedAt
			}
		}
		if len(page) < scanPage {
			break
		}
		before = page[len(page)-1].MerchantUID
	}
	return oldest, nil
}
