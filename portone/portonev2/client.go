// Package portonev2 is a client for PortOne's V2 REST API
// (https://api.portone.io) and a verifier of its Standard Webhooks-signed
// webhooks.
//
// The client authenticates with the V2 API secret ("Authorization:
// PortOne <secret>"), retries idempotent calls on network errors, 429 and
// 5xx with capped, jittered backoff, bounds every attempt by its own
// timeout, and turns PortOne's error envelope ({"type", "message"}) into
// an *Error. A cancel is retried only with the same Idempotency-Key, which
// PortOne honours for three hours, so a retry can never refund twice; its
// currentCancellableAmount guards against a cancel made elsewhere
// meanwhile.
package portonev2

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/payresult/payresult/portone"
)

// DefaultBaseURL is PortOne's V2 REST API.
const DefaultBaseURL = "https://api.portone.io"

// Defaults for the optional knobs of Client. PortOne asks for a read
// timeout of at least 60 s.
const (
	DefaultMaxRetries     = 3
	DefaultRetryWait      = 250 * time.Millisecond
	DefaultMaxRetryWait   = 5 * time.Second
	DefaultAttemptTimeout = 60 * time.Second
	maxResponseBytes      = 32 << 20
)

// Client calls PortOne's V2 REST API. Only Secret is required. A Client is
// safe for concurrent use once its fields are set.
type Client struct {
	// BaseURL defaults to DefaultBaseURL. PortOne's paths start at the
	// root, so a path in BaseURL is kept and the API's path appended.
	BaseURL string
	// HTTPClient defaults to portone.DefaultHTTPClient(), V1's: keep-alive
	// with as many idle connections as payresult confirms at once (with
	// http.DefaultClient's two, every concurrent call above two dials a
	// connection and closes it after), and no overall timeout:
	// AttemptTimeout bounds each exchange.
	HTTPClient *http.Client
	// Secret is the V2 API secret.
	Secret string
	// StoreID is sent with every call that takes one; "" lets PortOne
	// use the secret's store. It is required for a sub-store.
	StoreID string
	// AttemptTimeout bounds one HTTP exchange (default
	// DefaultAttemptTimeout); a retry gets a new one.
	AttemptTimeout time.Duration
	// MaxRetries is how many times a retryable call is repeated after the
	// first attempt: 0 means DefaultMaxRetries, negative disables retries.
	MaxRetries int
	// RetryWait is the first backoff (default DefaultRetryWait), doubled
	// at each retry up to MaxRetryWait (default DefaultMaxRetryWait), with
	// jitter.
	RetryWait, MaxRetryWait time.Duration
	// OnRetry, when set, is called before each retry.
	OnRetry func(endpoint string, attempt int, err error, wait time.Duration)
}

func (c *Client) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return portone.DefaultHTTPClient()
}

// request is one call to the API.
type request struct {
	method string
	path   string // escaped
	query  url.Values
	body   any // JSON-encoded when not nil
	// idempotencyKey is sent on POSTs; a call with one may be retried.
	idempotencyKey string
	// retry says whether a failure that leaves the outcome unknown may be
	// retried.
	retry bool
}

func (r *request) endpoint() string { return r.method + " " + r.path }

// do performs r and decodes a 2xx answer into out (when not nil).
func (c *Client) do(ctx context.Context, r *request, out any) error {
	var body []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("portonev2: %s: encoding the request: %w", r.endpoint(), err)
		}
		body = b
	}
	retries := c.MaxRetries
	switch {
	case retries == 0:
		retries = DefaultMaxRetries
	case retries < 0:
		retries = 0
	}
	for attempt := 0; ; attempt++ {
		status, answer, retryAfter, err := c.attempt(ctx, r, body)
		if err == nil && status/100 == 2 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(answer, out); err != nil {
				return fmt.Errorf("portonev2: %s: undecodable answer: %w", r.endpoint(), err)
			}
			return nil
		}
		if err == nil {
			err = errorFrom(r.endpoint(), status, answer)
		}
		if !r.retry || attempt >= retries || !IsTransient(err) || ctx.Err() != nil {
			if cerr := ctx.Err(); cerr != nil && !strings.Contains(err.Error(), cerr.Error()) {
				err = fmt.Errorf("%w (%w)", err, cerr)
			}
			return err
		}
		wait := c.backoff(attempt, retryAfter)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("%w (not retried: the context ends before the next attempt)", err)
		}
		if c.OnRetry != nil {
			c.OnRetry(r.endpoint(), attempt+1, err, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%w)", err, ctx.Err())
		case <-t.C:
		}
	}
}

// attempt makes one HTTP exchange.
func (c *Client) attempt(ctx context.Context, r *request, body []byte) (status int, answer []byte, retryAfter string, err error) {
	timeout := c.AttemptTimeout
	if timeout <= 0 {
		timeout = DefaultAttemptTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := c.baseURL() + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return 0, nil, "", fmt.Errorf("portonev2: %s: %w", r.endpoint(), err)
	}
	req.Header.Set("Authorization", "PortOne "+c.Secret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "payresult-portonev2/1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", strconv.Quote(r.idempotencyKey))
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, nil, "", &netError{endpoint: r.endpoint(), err: err}
	}
	defer resp.Body.Close()
	answer, err = io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	switch {
	case err != nil:
		return 0, nil, "", &netError{endpoint: r.endpoint(), err: err}
	case len(answer) > maxResponseBytes:
		return 0, nil, "", fmt.Errorf("portonev2: %s: answer larger than %d bytes", r.endpoint(), maxResponseBytes)
	}
	return resp.StatusCode, answer, resp.Header.Get("Retry-After"), nil
}

// backoff is the wait before retry attempt+1: doubling from RetryWait,
// capped at MaxRetryWait, with jitter in [d/2, d]; a Retry-After in
// seconds is honoured up to the cap.
func (c *Client) backoff(attempt int, retryAfter string) time.Duration {
	first, ceiling := c.RetryWait, c.MaxRetryWait
	if first <= 0 {
		first = DefaultRetryWait
	}
	if ceiling <= 0 {
		ceiling = DefaultMaxRetryWait
	}
	if s, err := strconv.Atoi(retryAfter); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, ceiling)
	}
	d := min(first<<min(attempt, 30), ceiling)
	return d/2 + rand.N(d/2+1)
}

// newIdempotencyKey returns a random key within PortOne's 16 to 256
// ASCII characters.
func newIdempotencyKey() string { return "payresult-" + crand.Text() }
