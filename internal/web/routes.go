package web

import (
	"net/http"
	"sort"
	"strings"

	"github.com/payresult/payresult"
)

// route is one entry of the HTTP surface.
type route struct {
	pattern string // a net/http ServeMux pattern, with its method
	handler http.Handler
}

// routes lists the whole HTTP surface. The API routes are also described in
// openapi.json; a test keeps the two in step.
func (s *Server) routes() []route {
	h := func(f http.HandlerFunc) http.Handler { return f }
	key := s.requireKey
	rs := []route{
		{"GET /healthz", h(s.healthz)},
		{"GET /readyz", h(s.readyz)},

		// PortOne: the buyer's return from the payment window, and the webhook.
		// Both confirm, so both share one bound (limit.go).
		{"GET /portone/redirect", s.limit(s.confirming, s.redirect)},
		{"POST /portone/redirect", s.limit(s.confirming, s.redirect)},
		{"POST /portone/webhook", s.allowSources(s.limit(s.confirming, s.webhook))},
		// PortOne V2's: the redirectUrl target and the signed webhook.
		{"GET /portone/v2/redirect", s.limit(s.confirming, s.redirectV2)},
		{"POST /portone/v2/redirect", s.limit(s.confirming, s.redirectV2)},
		{"POST /portone/v2/webhook", s.allowSources(s.limit(s.confirming, s.webhookV2))},
		// The buyer's result page, which a confirming page refreshes.
		{"GET /result/{merchant_uid}", h(s.resultPage)},

		// The app API.
		{"POST /api/orders", h(key(s.createOrder))},
		{"GET /api/orders/{merchant_uid}", h(key(s.getOrder))},
		{"POST /api/orders/{merchant_uid}/refund", h(key(s.refundOrder))},
		{"GET /api/events", h(key(s.listEvents))},
		{"GET /api/openapi.json", h(s.openAPI)},

		{"GET /{$}", h(s.home)},
		{"GET /favicon.ico", h(s.favicon)},
		{"GET /favicon.svg", h(s.favicon)},
		{"GET /assets/{name}", h(s.asset)},
	}
	// Operators: the Prometheus scrape and the admin page, when configured.
	if s.cfg.Metrics != nil {
		rs = append(rs, route{"GET /metrics", s.cfg.Metrics})
	}
	if s.cfg.Admin != nil {
		rs = append(rs, route{"/admin", s.cfg.Admin}, route{"/admin/", s.cfg.Admin})
	}
	if s.cfg.Sandbox {
		rs = append(rs,
			route{"POST /demo/orders", h(s.createDemoOrder)},
			route{"/sandbox/", http.StripPrefix("/sandbox", s.cfg.Emulator)},
		)
		// PortOne's REST paths, V1's and V2's, also answer at the root:
		// PortOne V2's server SDK builds its URLs as new URL("/payments/…",
		// baseUrl), and some V1 clients keep only the scheme and host of
		// theirs, so a path in the base URL is dropped.
		for _, p := range sandboxRootPaths {
			rs = append(rs, route{p, s.cfg.Emulator})
		}
		if s.cfg.DemoV2 != nil {
			rs = append(rs, route{"POST /demo/v2/orders", h(s.createDemoV2Order)})
		}
	}
	return rs
}

// sandboxRootPaths are PortOne's REST paths, served at the root in
// sandbox mode.
var sandboxRootPaths = []string{"/users/getToken", "/payments", "/payments/", "/login/api-secret", "/token/refresh"}

// mux registers the routes, and for every path a fallback that answers a
// wrong method with a JSON 405 naming the allowed ones (ServeMux's own
// answer is plain text).
func (s *Server) mux() http.Handler {
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, rt.handler)
		if method, path, ok := strings.Cut(rt.pattern, " "); ok {
			allowed[path] = append(allowed[path], method)
		}
	}
	for path, methods := range allowed {
		sort.Strings(methods)
		mux.Handle(path, s.methodNotAllowed(methods))
	}
	mux.Handle("/", http.HandlerFunc(s.notFound))
	return mux
}

func (s *Server) methodNotAllowed(methods []string) http.HandlerFunc {
	allow := strings.Join(methods, ", ")
	if strings.Contains(allow, "GET") {
		allow += ", HEAD"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		s.fail(w, r, payresult.Errorf(payresult.KindMethodNotAllowed, "%s is not allowed here; use %s", r.Method, allow))
	}
}

// notFound answers a path nothing serves: a page for a browser, the JSON
// error for a program.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if wantsHTML(r) {
		s.notFoundPage(w, r)
		return
	}
	s.fail(w, r, payresult.Errorf(payresult.KindNotFound, "no such endpoint: %s", r.URL.Path))
}
