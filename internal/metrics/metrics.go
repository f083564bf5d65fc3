// Package metrics is payresult's Prometheus instrumentation: one registry
// with the counters and histograms of the processing core, the PortOne
// client, event delivery, the HTTP server and the store, the build that
// runs, plus Go runtime and process metrics, served at /metrics.
//
// Nothing here changes what payresult does. The hooks are optional: the
// processor's Metrics field (payresult.ConfirmObserver), an
// http.RoundTripper around the PortOne client's transport with its
// OnRetry hook, and a Store wrapper given to the outbox worker that counts
// the delivery outcomes it records.
package metrics

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/payresult/payresult"
)

// namespace prefixes every payresult metric.
const namespace = "payresult"

// Metrics holds payresult's registry and instruments. Create it with New;
// it is safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	notices        *prometheus.CounterVec
	confirmSeconds *prometheus.HistogramVec
	forgeries      prometheus.Counter

	portoneRequests *prometheus.CounterVec
	portoneSeconds  *prometheus.HistogramVec
	portoneErrors   *prometheus.CounterVec
	portoneRetries  *prometheus.CounterVec
	tokenRefreshes  prometheus.Counter

	deliveries *prometheus.CounterVec

	httpRequests *prometheus.CounterVec
	httpSeconds  *prometheus.HistogramVec
}

// Options configures New. The zero value is usable.
type Options struct {
	// Store, when set, is read at every scrape for the orders by status
	// and the age of the oldest unsettled order.
	Store payresult.Store
	// Now is the clock of the store collector; nil means time.Now.
	Now func() time.Time
	// Logger receives store errors met during a scrape; nil discards.
	Logger *slog.Logger
	// Build labels payresult_build_info.
	Build BuildInfo
	// Outbox adds the outbox backlog gauges (with Store): set it when
	// events are delivered to an events URL.
	Outbox bool
}

// New returns a registry with every payresult metric, the Go runtime
// collector and the process collector.
func New(opt Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), log: opt.Logger}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	f := factory{m.reg}
	m.notices = f.counterVec("notices_total",
		"Notices run through Confirm, by source (redirect, webhook, reconciler, app) and outcome.", "source", "outcome")
	m.confirmSeconds = f.histogramVec("confirm_duration_seconds",
		"How long Confirm took, PortOne look-ups and the database included, by notice source.", "source")
	m.forgeries = f.counter("forgeries_total",
		"Payments found paid with another amount or currency than their order (orders made forged).")
	m.portoneRequests = f.counterVec("portone_requests_total",
		"HTTP requests to PortOne's REST API, by endpoint and HTTP status code (\"error\" when no answer came).", "endpoint", "code")
	m.portoneSeconds = f.histogramVec("portone_request_duration_seconds",
		"Latency of PortOne REST API requests until the response headers, by endpoint.", "endpoint")
	m.portoneErrors = f.counterVec("portone_errors_total",
		"PortOne requests that failed: network errors, timeouts, 429 and 5xx answers, by endpoint and reason.", "endpoint", "reason")
	m.portoneRetries = f.counterVec("portone_retries_total",
		"PortOne requests the client sent again after a failure, by endpoint.", "endpoint")
	m.tokenRefreshes = f.counter("portone_token_refreshes_total",
		"Access tokens fetched from PortOne (POST /users/getToken answered 200).")
	m.deliveries = f.counterVec("event_deliveries_total",
		"Attempts to deliver events to the app, by result: delivered, retried (failed, will be sent again) or dead (failed for good).", "result")
	for _, r := range []string{resultDelivered, resultRetried, resultDead} {
		m.deliveries.WithLabelValues(r) // present at zero, so rates work from the start
	}
	m.httpRequests = f.counterVec("http_requests_total",
		"HTTP requests answered, by route (the pattern that served them) and status code.", "route", "code")
	m.httpSeconds = f.histogramVec("http_request_duration_seconds",
		"How long HTTP requests took to answer, by route.", "route")
	m.registerBuildInfo(opt.Build)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if opt.Store != nil {
		m.reg.MustRegister(newStoreCollector(opt.Store, opt.Now, m.log, opt.Outbox))
	}
	return m
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// ObserveConfirm implements payresult.ConfirmObserver: it counts the
// notice by source and outcome and records Confirm's latency.
func (m *Metrics) ObserveConfirm(src payresult.NoticeSource, res *payresult.Result, err error, elapsed time.Duration) {
	source := string(src)
	if source == "" {
		source = "unknown"
	}
	m.notices.WithLabelValues(source, outcomeLabel(res, err)).Inc()
	m.confirmSeconds.WithLabelValues(source).Observe(elapsed.Seconds())
	if err == nil && res != nil && res.Changed && res.Outcome == payresult.OutcomeForged {
		m.forgeries.Inc()
	}
}

// outcomeLabel is Confirm's outcome, or "error_<kind>" when it failed
// without deciding. Both sets are small and fixed, as labels must be.
func outcomeLabel(res *payresult.Result, err error) string {
	if res != nil && res.Outcome != "" {
		return string(res.Outcome)
	}
	if err != nil {
		var pe *payresult.Error
		if errors.As(err, &pe) {
			return "error_" + string(pe.Kind)
		}
		return "error_" + string(payresult.KindInternal)
	}
	return "unknown"
}

// factory registers instruments in the payresult namespace.
type factory struct{ reg prometheus.Registerer }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

// latencyBuckets span a loopback emulator call (a millisecond) to
// PortOne's retries giving up (tens of seconds).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func (f factory) histogramVec(name, help string, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: name, Help: help, Buckets: latencyBuckets,
	}, labels)
	f.reg.MustRegister(h)
	return h
}
