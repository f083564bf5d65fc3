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
)

// tokenEndpoint is the endpoint that hands out access tokens.
const tokenEndpoint = "POST /users/getToken"

// InstrumentPortOne makes c count its requests, latencies, errors, retries
// and token refreshes. It replaces c.HTTPClient with a copy whose
// transport is wrapped (keeping its timeout and redirect policy) and
// chains c.OnRetry. Call it before c is first used.
func (m *Metrics) InstrumentPortOne(c *portone.Client) {
	c.HTTPClient = m.PortOneHTTPClient(c.HTTPClient)
	next := c.OnRetry
	c.OnRetry = func(endpoint string, attempt int, err error, wait time.Duration) {
		method, path, _ := strings.Cut(endpoint, " ")
		m.portoneRetries.WithLabelValues(EndpointOf(method, path)).Inc()
		if next != nil {
			next(endpoint, attempt, err, wait)
		}
	}
}

// PortOneHTTPClient returns a copy of c (or of a client with the portone
// package's defaults when c is nil) whose transport counts every request
// by endpoint.
func (m *Metrics) PortOneHTTPClient(c *http.Client) *http.Client {
	if c == nil {
		c = portone.DefaultHTTPClient()
	}
	out := *c
	base := out.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out.Transport = &portoneTransport{base: base, m: m}
	return &out
}

// portoneTransport observes each round trip to PortOne.
type portoneTransport struct {
	base http.RoundTripper
	m    *Metrics
}

// RoundTrip implements http.RoundTripper.
func (t *portoneTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ep := EndpointOf(req.Method, req.URL.Path)
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
