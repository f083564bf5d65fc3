package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BuildInfo names the build that is running, for payresult_build_info.
type BuildInfo struct {
	Version   string // module version: a tag, a pseudo-version or "(devel)"
	Revision  string // the commit, when built from a git checkout
	GoVersion string
}

// registerBuildInfo adds payresult_build_info: always 1, its labels name
// the build, so that a dashboard can show which version each instance
// runs and when it changed.
func (m *Metrics) registerBuildInfo(b BuildInfo) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "The running build of payresult: always 1, with its version, commit and Go release as labels.",
		ConstLabels: prometheus.Labels{"version": orUnknown(b.Version), "revision": orUnknown(b.Revision), "goversion": orUnknown(b.GoVersion)},
	})
	g.Set(1)
	m.reg.MustRegister(g)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// ObserveHTTP counts one request the server answered, by its route (the
// pattern of the route that served it, such as
// "GET /api/orders/{merchant_uid}", so that ids never become labels) and
// status code, and records how long it took.
func (m *Metrics) ObserveHTTP(route string, status int, elapsed time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpSeconds.WithLabelValues(route).Observe(elapsed.Seconds())
}
