// Package portone is a client for the PortOne V1 (iamport) REST API and a
// parser for the notices PortOne sends a merchant: the browser redirect to
// m_redirect_url and the webhook.
//
// The client caches its access token and shares it between goroutines,
// retries idempotent calls on network errors, 429 and 5xx, and turns every
// PortOne failure, including the ones PortOne reports with HTTP 200 and a
// non-zero code, into an *Error. Notices are parsed without trusting them:
// they only name a payment, which must then be fetched with
// Client.Payment.
package portone

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultBaseURL is PortOne's V1 REST API.
const DefaultBaseURL = "https://api.iamport.kr"

// Defaults for the optional knobs of Client.
const (
	DefaultMaxRetries      = 3
	DefaultRetryWait       = 250 * time.Millisecond
	DefaultMaxRetryWait    = 5 * time.Second
	DefaultRefreshBuffer   = 60 * time.Second
	DefaultAttemptTimeout  = 30 * time.Second
	maxResponseBytes       = 32 << 20 // a 1000-payment page is a few MB
	defaultTokenCallTimout = 30 * time.Second
)

// Client calls the PortOne V1 REST API. Only Key and Secret are required;
// every other field has a working default. A Client is safe for
// concurrent use once its fields are set; it must not be copied after
// first use.
type Client struct {
	// BaseURL defaults to DefaultBaseURL. Point it at the emulator or an
	// httptest server in tests.
	BaseURL string
	// HTTPClient defaults to a shared client with keep-alive and up to 512
	// idle connections per host.
	HTTPClient *http.Client
	// AttemptTimeout bounds one HTTP exchange with PortOne, from sending
	// the request to reading the whole answer (default
	// DefaultAttemptTimeout); a retry gets a new one. It is a deadline on
	// the request's context rather than http.Client.Timeout, which for a
	// wrapped transport (metrics, logging) costs a goroutine per request.
	AttemptTimeout time.Duration
	// Key and Secret are the REST API key and secret (imp_key, imp_secret).
	Key, Secret string
	// Now defaults to time.Now. It decides when the cached token expires.
	Now func() time.Time

	// MaxRetries is how many times a retryable call is repeated after
	// the first attempt: 0 means DefaultMaxRetries, a negative value
	// disables retries.
	MaxRetries int
	// RetryWait is the first backoff (default DefaultRetryWait); it
	// doubles on every retry up to MaxRetryWait (default
	// DefaultMaxRetryWait), with jitter.
	RetryWait, MaxRetryWait time.Duration
	// RefreshBuffer is how long before its expiry a token is replaced
	// (default DefaultRefreshBuffer).
	RefreshBuffer time.Duration
	// OnRetry, when set, is called before each retry with the endpoint,
	// the failed attempt's error and the wait; use it for logs and metrics.
	OnRetry func(endpoint string, attempt int, err error, wait time.Duration)

	mu    sync.Mutex
	token cachedToken
	group singleflight.Group
}

var defaultHTTPClient = sync.OnceValue(func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// As many idle connections as payresult confirms at once: with fewer,
	// every burst above the idle limit closes connections only to dial
	// them again, and at a few thousand calls a second the closed ones
	// pile up in TIME_WAIT until no local port is left.
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 512
	t.IdleConnTimeout = 90 * time.Second
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 25 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	// No Client.Timeout: Client.attempt bounds each exchange itself.
	return &http.Client{Transport: t}
})

func (c *Client) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

// DefaultHTTPClient is the HTTP client a Client uses when its HTTPClient
// is nil: keep-alive with as many idle connections as payresult confirms
// at once. A wrapper of the transport (metrics, logging) should start
// from it rather than from http.DefaultClient, whose two idle
// connections per host make every concurrent look-up above two dial a
// new connection.
func DefaultHTTPClient() *http.Client { return defaultHTTPClient() }

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return defaultHTTPClient()
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) maxRetries() int {
	switch {
	case c.MaxRetries < 0:
		return 0
	case c.MaxRetries == 0:
		return DefaultMaxRetries
	}
	return c.MaxRetries
}

// retryPolicy says when a call may be sent again after a failure that
// leaves its outcome unknown (network error, 429, 5xx).
type retryPolicy int

const (
	noRetry   retryPolicy = iota // the call changes state and cannot be repeated safely
	retrySafe                    // the call is idempotent, or made safe (checksum, read-back)
)

// call is one API request.
type call struct {
	method string
	path   string // already escaped
	query  url.Values
	body   any // JSON-encoded when not nil
	auth   bool
	retry  retryPolicy
}

func (r *call) endpoint() string { return r.method + " " + r.path }

// response is a final HTTP answer: one that is not going to be retried.
type response struct {
	status   int
	body     []byte
	attempts int // attempts whose outcome was unknown, plus this one
}

// send performs r with authentication, 401 recovery and retries. It
// returns an error only when no final answer was obtained (network error,
// retries exhausted on 429/5xx, context done); otherwise the answer is
// returned whatever its status, for decode to judge.
func (c *Client) send(ctx context.Context, r *call) (*response, error) {
	var body []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("portone: %s: encoding request: %w", r.endpoint(), err)
		}
		body = b
	}
	refreshed := false
	for attempt := 0; ; attempt++ {
		resp, err := c.attempt(ctx, r, body)
		if err == nil && resp.status == http.StatusUnauthorized && r.auth && !refreshed {
			// The token was refused: it may have expired at PortOne before
			// our clock said so. A 401 means the call was not processed, so
			// one retry with a fresh token is safe for every call.
			refreshed = true
			c.invalidate(resp.token)
			attempt--
			continue
		}
		if err == nil && !retryableStatus(resp.status) {
			return &response{status: resp.status, body: resp.body, attempts: attempt + 1}, nil
		}
		if err == nil {
			err = errorFromResponse(r.endpoint(), resp.status, resp.body)
		}
		var te *tokenError
		if errors.As(err, &te) {
			return nil, te.err // getToken had its own retries
		}
		if ctx.Err() != nil || r.retry == noRetry || attempt >= c.maxRetries() || !IsTransient(err) {
			if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
				err = fmt.Errorf("%w (%w)", err, cerr)
			}
			return nil, err
		}
		wait := c.backoff(attempt, resp)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			// Waiting would outlive the caller: give up now with what we know.
			return nil, fmt.Errorf("%w (not retried: context deadline is before the next attempt)", err)
		}
		if c.OnRetry != nil {
			c.OnRetry(r.endpoint(), attempt+1, err, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (%w)", err, ctx.Err())
		case <-t.C:
			if cerr := ctx.Err(); cerr != nil { // both were ready; select chose the timer
				return nil, fmt.Errorf("%w (%w)", err, cerr)
			}
		}
	}
}

// attemptResult is the answer to one attempt.
type attemptResult struct {
	status     int
	body       []byte
	retryAfter string
	token      string // the token the attempt was sent with
}

func (c *Client) attempt(ctx context.Context, r *call, body []byte) (*attemptResult, error) {
	ctx, cancel := c.attemptContext(ctx)
	defer cancel()
	u := c.baseURL() + r.path
	if len(r.query) > 0 {
		u += "?" + encodeQuery(r.query)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("portone: %s: %w", r.endpoint(), err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "payresult-portone/1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res := &attemptResult{}
	if r.auth {
		tok, err := c.Token(ctx)
		if err != nil {
			return nil, &tokenError{err}
		}
		res.token = tok
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	hres, err := c.httpClient().Do(req)
	if err != nil {
		return nil, &netError{endpoint: r.endpoint(), err: err}
	}
	defer hres.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hres.Body, maxResponseBytes+1))
	if err != nil {
		return nil, &netError{endpoint: r.endpoint(), err: err}
	}
	if len(b) > maxResponseBytes {
		return nil, fmt.Errorf("portone: %s: response larger than %d bytes", r.endpoint(), maxResponseBytes)
	}
	res.status, res.body, res.retryAfter = hres.StatusCode, b, hres.Header.Get("Retry-After")
	return res, nil
}

// attemptContext bounds one attempt by AttemptTimeout, unless ctx already
// ends sooner.
func (c *Client) attemptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	timeout := c.AttemptTimeout
	if timeout <= 0 {
		timeout = DefaultAttemptTimeout
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= timeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}

// encodeQuery is url.Values.Encode that leaves the brackets of PHP-style
// array keys (imp_uid[]) readable, as PortOne's own clients send them.
func encodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "%5B%5D=", "[]=")
}

func retryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// backoff returns the wait before retry number attempt+1: exponential,
// capped, with jitter in [d/2, d]; a Retry-After in seconds is honoured up
// to the cap.
func (c *Client) backoff(attempt int, last *attemptResult) time.Duration {
	base, ceiling := c.RetryWait, c.MaxRetryWait
	if base <= 0 {
		base = DefaultRetryWait
	}
	if ceiling <= 0 {
		ceiling = DefaultMaxRetryWait
	}
	d := base
	for i := 0; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	if last != nil && last.retryAfter != "" {
		if s, err := strconv.Atoi(last.retryAfter); err == nil && s >= 0 {
			return min(time.Duration(s)*time.Second, ceiling)
		}
	}
	return d/2 + rand.N(d/2+1)
}

// tokenError is a failure to get a token for a call.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// netError is a failure to get any HTTP answer.
type netError struct {
	endpoint string
	err      error
}

func (e *netError) Error() string { return "portone: " + e.endpoint + ": " + e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

// envelope is PortOne's answer to every call.
type envelope[T any] struct {
	Code     int     `json:"code"`
	Message  *string `json:"message"`
	Response T       `json:"response"`
}

// decode judges a final answer: any HTTP status >= 400 or code != 0 is an
// *Error; otherwise the response is decoded into out. With partialOK, an
// HTTP 207 is accepted as success whatever its code.
func decode[T any](r *call, resp *response, out *T, partialOK bool) error {
	ep := r.endpoint()
	if resp.status >= 300 && !(partialOK && resp.status == http.StatusMultiStatus) {
		return errorFromResponse(ep, resp.status, resp.body)
	}
	var env envelope[T]
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return fmt.Errorf("portone: %s: undecodable response (HTTP %d): %w", ep, resp.status, err)
	}
	if env.Code != 0 && resp.status != http.StatusMultiStatus {
		msg := ""
		if env.Message != nil {
			msg = *env.Message
		}
		return &Error{HTTPStatus: resp.status, Code: env.Code, Message: msg, Endpoint: ep}
	}
	*out = env.Response
	return nil
}

// errorFromResponse builds the *Error for a failed answer, from its
// envelope when it has one (PortOne's), else from the body text (a proxy's
// error page).
func errorFromResponse(ep string, status int, body []byte) *Error {
	var env envelope[json.RawMessage]
	if err := json.Unmarshal(body, &env); err == nil && (env.Code != 0 || env.Message != nil) {
		msg := ""
		if env.Message != nil {
			msg = *env.Message
		}
		return &Error{HTTPStatus: status, Code: env.Code, Message: msg, Endpoint: ep}
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text == "" {
		text = http.StatusText(status)
	}
	return &Error{HTTPStatus: status, Message: text, Endpoint: ep}
}

// do performs r and decodes its response into a new T.
func do[T any](ctx context.Context, c *Client, r *call) (T, error) {
	var zero T
	resp, err := c.send(ctx, r)
	if err != nil {
		return zero, err
	}
	var out T
	if err := decode(r, resp, &out, false); err != nil {
		return zero, err
	}
	return out, nil
}
