package portone

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// cachedToken is an access token and the local time at which it expires.
type cachedToken struct {
	value  string
	expiry time.Time // in the Client's clock, corrected for skew
	buffer time.Duration
}

// tokenResponse is the response of POST /users/getToken.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	Now         int64  `json:"now"`
	ExpiredAt   int64  `json:"expired_at"`
}

// ErrNoCredentials is returned when a call needs a token and the Client
// has no Key or Secret.
var ErrNoCredentials = errors.New("portone: Client.Key and Client.Secret are required")

// Token returns an access token, fetching one from POST /users/getToken
// only when the cached one is missing or about to expire. Concurrent
// callers share one fetch. The token is sent by every other method; call
// Token directly only to warm the cache or check the credentials.
func (c *Client) Token(ctx context.Context) (string, error) {
	if tok, ok := c.cached(); ok {
		return tok, nil
	}
	if c.Key == "" || c.Secret == "" {
		return "", ErrNoCredentials
	}
	// The fetch is shared, so it must not die with the first caller's
	// context; each caller still stops waiting when its own context ends.
	ch := c.group.DoChan("token", func() (any, error) {
		if tok, ok := c.cached(); ok { // refreshed while we queued
			return tok, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultTokenCallTimout)
		defer cancel()
		return c.fetchToken(fctx)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return "", res.Err
		}
		return res.Val.(string), nil
	case <-ctx.Done():
		return "", fmt.Errorf("portone: waiting for an access token: %w", ctx.Err())
	}
}

// cached returns the cached token if it is good for at least its buffer.
func (c *Client) cached() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.token
	if t.value == "" || !c.now().Before(t.expiry.Add(-t.buffer)) {
		return "", false
	}
	return t.value, true
}

// invalidate drops the cached token if it is still tok, so that the next
// Token call fetches a new one. A token that another goroutine already
// replaced is left alone.
func (c *Client) invalidate(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token.value == tok {
		c.token = cachedToken{}
	}
}

func (c *Client) fetchToken(ctx context.Context) (string, error) {
	r := &call{
		method: "POST",
		path:   "/users/getToken",
		body:   map[string]string{"imp_key": c.Key, "imp_secret": c.Secret},
		retry:  retrySafe, // getToken hands out the same token until it expires
	}
	tr, err := do[*tokenResponse](ctx, c, r)
	if err != nil {
		return "", err
	}
	if tr == nil || tr.AccessToken == "" {
		return "", fmt.Errorf("portone: %s: response has no access_token", r.endpoint())
	}
	// PortOne's clock decides expiry: keep the lifetime it granted and
	// count it from our own clock, so a skewed local clock does not matter.
	local := c.now()
	var expiry time.Time
	if tr.Now > 0 {
		expiry = local.Add(time.Duration(tr.ExpiredAt-tr.Now) * time.Second)
	} else {
		expiry = time.Unix(tr.ExpiredAt, 0)
	}
	if !expiry.After(local) {
		return "", fmt.Errorf("portone: %s: token already expired (now %d, expired_at %d)", r.endpoint(), tr.Now, tr.ExpiredAt)
	}
	buffer := c.RefreshBuffer
	if buffer <= 0 {
		buffer = DefaultRefreshBuffer
	}
	// A token extended by PortOne's last-minute rule may live less than
	// twice the buffer; refresh it halfway instead of on every call.
	buffer = min(buffer, expiry.Sub(local)/2)
	c.mu.Lock()
	c.token = cachedToken{value: tr.AccessToken, expiry: expiry, buffer: buffer}
	c.mu.Unlock()
	return tr.AccessToken, nil
}
