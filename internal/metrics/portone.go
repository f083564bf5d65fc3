package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
)

// tokenEndpoint is the endpoint that hands out access tokens.
const tokenEndpoint = "POST /users/getToken"

// InstrumentPortOne makes c count its requests, latencies, errors, retries
// and token refreshes. It replaces c.HTTPClient with a copy whose
// transport is wrapped (keeping its timeout and redirect policy) and
// chains c.OnRetry. Call it before c is first used.
func (m *Metrics) InstrumentPortOne(c *portone.Client) {
	m.instrument(&c.HTTPClient, &c.OnRetry, EndpointOf)
}

// InstrumentPortOneV2 does for PortOne V2's client what
// InstrumentPortOne does for V1's, under the endpoints EndpointOfV2
// names ("v2 GET /payments/{paymentId}"), so that the same metrics show
// both APIs' traffic apart.
func (m *Metrics) InstrumentPortOneV2(c *portonev2.Client) {
	m.instrument(&c.HTTPClient, &c.OnRetry, EndpointOfV2)
}

// instrument wraps a PortOne client's HTTP client and retry hook, naming
// endpoints with name.
func (m *Metrics) instrument(hc **http.Client, onRetry *func(string, int, error, time.Duration), name func(method, path string) string) {
	*hc = m.portoneHTTPClient(*hc, name)
	next := *onRetry
	*onRetry = func(endpoint string, attempt int, err error, wait time.Duration) {
		method, path, _ := strings.Cut(endpoint, " ")
		m.portoneRetries.WithLabelValues(name(method, path)).Inc()
		if next != nil {
			next(endpoint, attempt, err, wait)
		}
	}
}

// PortOneHTTPClient returns a copy of c (or of a client with the portone
// package's defaults when c is nil) whose transport counts every request
// by V1 endpoint.
func (m *Metrics) PortOneHTTPClient(c *http.Client) *http.Client {
	return m.portoneHTTPClient(c, EndpointOf)
}

func (m *Metrics) portoneHTTPClient(c *http.Client, name func(method, path string) string) *http.Client {
	if c == nil {
		c = portone.DefaultHTTPClient()
	}
	out := *c
	base := out.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out.Transport = &portoneTransport{base: base, m: m, name: name}
	return &out
}

// portoneTransport observes each round trip to PortOne.
type portoneTransport struct {
	base http.RoundTripper
	m    *Metrics
	name func(method, path string) string // the endpoint label
}

// RoundTrip implements http.RoundTripper.
func (t *portoneTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ep := t.name(req.Method, req.URL.Path)
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	t.m.portoneSeconds.WithLabelValues(ep).Observe(time.Since(start).Seconds())
	if err != nil {
		t.m.portoneRequests.WithLabelValues(ep, "error").Inc()
		t.m.portoneErrors.WithLabelValues(ep, errorReason(err)).Inc()
		return nil, err
	}
	t.m.portoneRequests.WithLabelValues(ep, strconv.Itoa(resp.StatusCode)).Inc()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		t.m.portoneErrors.WithLabelValues(ep, "rate_limited").Inc()
	case resp.StatusCode >= 500:
		t.m.portoneErrors.WithLabelValues(ep, "server_error").Inc()
	case ep == tokenEndpoint && resp.StatusCode == http.StatusOK:
		t.m.tokenRefreshes.Inc()
	}
	return resp, nil
}

// errorReason names a failed round trip in a few fixed words.
func errorReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "network"
}

// EndpointOf names a PortOne request by its method and route, with the
// ids replaced by placeholders, so that the endpoint label has a handful
// of values: "GET /payments/{imp_uid}". The path may carry a prefix
// before PortOne's own (the sandbox's /sandbox); anything unknown is
// "other".
func EndpointOf(method, path string) string {
	route := "other"
	for _, root := range []string{"/users/", "/payments"} {
		if i := strings.Index(path, root); i >= 0 {
			route = routeOf(strings.Split(strings.Trim(path[i:], "/"), "/"))
			break
		}
	}
	if route == "other" {
		return route
	}
	return method + " " + route
}

// routeOf maps the segments of a PortOne path to its route.
func routeOf(seg []string) string {
	switch {
	case len(seg) == 2 && seg[0] == "users" && seg[1] == "getToken":
		return "/users/getToken"
	case seg[0] != "payments":
		return "other"
	case len(seg) == 1:
		return "/payments"
	}
	switch seg[1] {
	case "prepare":
		if len(seg) == 2 {
			return "/payments/prepare"
		}
		return "/payments/prepare/{merchant_uid}"
	case "cancel":
		return "/payments/cancel"
	case "find", "findAll":
		return "/payments/" + seg[1] + "/{merchant_uid}"
	case "status":
		return "/payments/status/{payment_status}"
	}
	if len(seg) == 2 {
		return "/payments/{imp_uid}"
	}
	return "other"
}

// EndpointOfV2 names a PortOne V2 request as EndpointOf names V1's, with
// "v2 " in front: "v2 GET /payments/{paymentId}", "v2 POST
// /payments/{paymentId}/cancel", "v2 POST
// /payments/{paymentId}/pre-register", "v2 GET /payments", the token
// endpoints; anything unknown is "v2 other".
func EndpointOfV2(method, path string) string {
	route := "other"
	for _, root := range []string{"/payments", "/login/", "/token/"} {
		i := strings.Index(path, root)
		if i < 0 {
			continue
		}
		seg := strings.Split(strings.Trim(path[i:], "/"), "/")
		switch {
		case seg[0] == "login" && len(seg) == 2 && seg[1] == "api-secret",
			seg[0] == "token" && len(seg) == 2 && seg[1] == "refresh":
			route = "/" + seg[0] + "/" + seg[1]
		case seg[0] != "payments":
		case len(seg) == 1:
			route = "/payments"
		case len(seg) == 2:
			route = "/payments/{paymentId}"
		case len(seg) == 3 && (seg[2] == "cancel" || seg[2] == "pre-register"):
			route = "/payments/{paymentId}/" + seg[2]
		}
		break
	}
	if route == "other" {
		return "v2 other"
	}
	return "v2 " + method + " " + route
}
