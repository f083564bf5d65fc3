package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payresult/payresult/portone/emulator"
)

// order is one prepared order: registered at payresult, paid at the
// emulator, not yet confirmed.
type order struct {
	merchantUID string
	impUID      string
	redirectURL string // exactly where the emulator sends the browser
	// v2Body and v2Header are a V2 order's webhook, signed while it was
	// prepared (so that signing is not timed, as PortOne does it).
	v2Body   []byte
	v2Header http.Header
}

// newDriverClient is the bench's own HTTP client: keep-alive with enough
// idle connections for the highest level, and redirects not followed (a
// 303 to the app's URL is the redirect endpoint's answer).
func newDriverClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2048
	t.MaxIdleConnsPerHost = 1024
	return &http.Client{
		Transport:     t,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// setLatency sets the emulator's REST API latency through its control API.
func (e *env) setLatency(ctx context.Context, d time.Duration) error {
	body := map[string]any{"api_latency": d.String()}
	return e.do(ctx, http.MethodPut, e.emuURL+"/__emulator/faults", "", body, http.StatusOK, nil)
}

// prepare registers n orders at payresult and pays each at the emulator,
// with the redirect pointing at the service.
func (e *env) prepare(ctx context.Context, tag string, n int) ([]order, error) {
	b := make([]order, n)
	err := parallel(ctx, n, func(ctx context.Context, i int) error {
		m := fmt.Sprintf("bench-%s-%s-%d", e.run, tag, i)
		if err := e.register(ctx, m); err != nil {
			return err
		}
		o, err := e.pay(ctx, m, e.serviceURL+"/portone/redirect")
		b[i] = o
		return err
	})
	return b, err
}

// register registers an order of 10000 KRW through the app API, which
// pre-registers its amount at PortOne and stores it.
func (e *env) register(ctx context.Context, merchantUID string) error {
	body := map[string]any{"merchant_uid": merchantUID, "name": "bench order", "amount": 10000, "currency": "KRW"}
	if err := e.do(ctx, http.MethodPost, e.serviceURL+"/api/orders", e.apiKey, body, http.StatusCreated, nil); err != nil {
		return fmt.Errorf("registering order %s: %w", merchantUID, err)
	}
	return nil
}

// pay completes a paid card payment of 10000 KRW at the emulator.
func (e *env) pay(ctx context.Context, merchantUID, redirect string) (order, error) {
	body := map[string]any{
		"merchant_uid": merchantUID, "name": "bench order", "amount": 10000, "currency": "KRW",
		"pg": "html5_inicis", "pay_method": "card", "outcome": string(emulator.OutcomePaid),
	}
	if redirect != "" {
		body["m_redirect_url"] = redirect
	}
	var ans struct {
		Payment struct {
			ImpUID string `json:"imp_uid"`
		} `json:"payment"`
		RedirectURL string `json:"redirect_url"`
	}
	err := e.do(ctx, http.MethodPost, e.emuURL+"/__emulator/payments", "", body, http.StatusCreated, &ans)
	if err == nil && ans.Payment.ImpUID == "" {
		err = fmt.Errorf("the emulator paid %s without an imp_uid", merchantUID)
	}
	return order{merchantUID: merchantUID, impUID: ans.Payment.ImpUID, redirectURL: ans.RedirectURL}, err
}

// confirm is one timed operation: the notice that makes payresult
// confirm o, through path p, answered as a success.
func (e *env) confirm(ctx context.Context, p path, o order) error {
	var req *http.Request
	var err error
	switch p {
	case pathWebhook:
		body := `{"imp_uid":"` + o.impUID + `","merchant_uid":"` + o.merchantUID + `","status":"paid"}`
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, e.serviceURL+"/portone/webhook", strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	case pathWebhookV2:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, e.serviceURL+"/portone/v2/webhook", bytes.NewReader(o.v2Body))
		if err == nil {
			req.Header = o.v2Header.Clone()
		}
	default:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, o.redirectURL, nil)
	}
	if err != nil {
		return err
	}
	status, err := e.send(req)
	if err != nil {
		return err
	}
	if status != http.StatusOK && status != http.StatusSeeOther {
		return fmt.Errorf("%s of %s: HTTP %d", p, o.impUID, status)
	}
	return nil
}

// send sends req and reads the answer's body to its end, so that the
// connection is reused, and returns its status.
func (e *env) send(req *http.Request) (int, error) {
	resp, err := e.http.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// hop is one operation of the service round trip: the service's cheapest
// endpoint (GET /healthz), through the client that sends the notices. A
// confirm cannot take less than this plus a look-up and a commit.
func (e *env) hop(ctx context.Context, _ int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.serviceURL+"/healthz", nil)
	if err != nil {
		return err
	}
	status, err := e.send(req)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET /healthz: HTTP %d", status)
	}
	return nil
}

// countPaid asks the app API how many of b are paid.
func (e *env) countPaid(ctx context.Context, b []order) (int, error) {
	var paid atomic.Int64
	err := parallel(ctx, len(b), func(ctx context.Context, i int) error {
		var ans struct {
			Order struct{ Status string } `json:"order"`
		}
		u := e.serviceURL + "/api/orders/" + url.PathEscape(b[i].merchantUID)
		if err := e.do(ctx, http.MethodGet, u, e.apiKey, nil, http.StatusOK, &ans); err != nil {
			return err
		}
		if ans.Order.Status == "paid" {
			paid.Add(1)
		}
		return nil
	})
	return int(paid.Load()), err
}

// do sends a JSON request (with a bearer key when key is set), wants the
// status want, and decodes the answer into out when out is not nil.
func (e *env) do(ctx context.Context, method, u, key string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: HTTP %d: %.200s", method, u, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// parallel runs fn for 0..n-1 on setupConcurrency goroutines and returns
// the first error; after an error no new index starts.
func parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, setupConcurrency) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}
