package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/payresult/payresult/reconcile"
)

var (
	waitingDesc = prometheus.NewDesc(namespace+"_reconcile_waiting_orders",
		"Orders waiting for a reconciler check (their webhook and redirect have not settled them yet).", nil, nil)
	oldestWaitDesc = prometheus.NewDesc(namespace+"_reconcile_oldest_wait_seconds",
		"How long the oldest order waiting for a reconciler check has waited; 0 when none is.", nil, nil)
	roundsDesc = prometheus.NewDesc(namespace+"_sweep_rounds_total",
		"Rounds of sweeps this instance began (each lists PortOne's payments over the windows due).", nil, nil)
	windowsDesc = prometheus.NewDesc(namespace+"_sweep_windows",
		"Sweep windows of this instance's current or last round, by state: due (found due when it began) or done (swept, or taken by another instance).", []string{"state"}, nil)
	pagesDesc = prometheus.NewDesc(namespace+"_sweep_pages_total",
		"Pages of PortOne's payment lists this instance's sweeps read (one PortOne request each).", nil, nil)
	listedDesc = prometheus.NewDesc(namespace+"_sweep_listed_payments_total",
		"Payments this instance's sweeps listed.", nil, nil)
)

// ObserveSweeps adds the reconciler's sweep progress, read from status at
// each scrape. Call it once.
func (m *Metrics) ObserveSweeps(status func() reconcile.SweepStatus) {
	m.reg.MustRegister(sweepCollector(status))
}

// sweepCollector reports a reconciler's SweepStatus.
type sweepCollector func() reconcile.SweepStatus

// Describe implements prometheus.Collector.
func (c sweepCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- roundsDesc
	ch <- windowsDesc
	ch <- pagesDesc
	ch <- listedDesc
}

// Collect implements prometheus.Collector.
func (c sweepCollector) Collect(ch chan<- prometheus.Metric) {
	s := c()
	ch <- prometheus.MustNewConstMetric(roundsDesc, prometheus.CounterValue, float64(s.Rounds))
	ch <- prometheus.MustNewConstMetric(windowsDesc, prometheus.GaugeValue, float64(s.WindowsDue), "due")
	ch <- prometheus.MustNewConstMetric(windowsDesc, prometheus.GaugeValue, float64(s.WindowsDone), "done")
	ch <- prometheus.MustNewConstMetric(pagesDesc, prometheus.CounterValue, float64(s.Pages))
	ch <- prometheus.MustNewConstMetric(listedDesc, prometheus.CounterValue, float64(s.Listed))
}
