package portone

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const paymentPath = "GET /payments/imp_123456789012"

func TestTokenIsReusedAndSentAsBearer(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var gotAuth []string
	var mu sync.Mutex
	body := fixture(t, "payment_paid_card.json")
	f.handle(paymentPath, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		writeJSON(w, 200, body)
	})
	c := f.client()
	ctx := context.Background()
	for range 3 {
		if _, err := c.Payment(ctx, "imp_123456789012", false); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Errorf("getToken calls = %d, want 1", n)
	}
	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range gotAuth {
		if a != "Bearer "+tok {
			t.Errorf("request %d: Authorization = %q, want %q", i, a, "Bearer "+tok)
		}
	}
}

func TestTokenFetchedOnceByConcurrentCalls(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.tokenGate = make(chan struct{})
	f.handleFixture(paymentPath, 200, "payment_paid_card.json")
	c := f.client()

	const n = 100
	var started, done sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			_, err := c.Payment(context.Background(), "imp_123456789012", false)
			errs <- err
		}()
	}
	started.Wait()
	close(f.tokenGate) // let the one getToken answer
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.tokenCalls.Load(); got != 1 {
		t.Errorf("getToken calls = %d, want 1", got)
	}
	if got := f.count(paymentPath); got != n {
		t.Errorf("payment requests = %d, want %d", got, n)
	}
}

func TestTokenRefreshedAheadOfExpiry(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	f := newFake(t)
	f.now = clock.Now
	f.handleFixture(paymentPath, 200, "payment_paid_card.json")
	c := f.client()
	c.Now = clock.Now
	ctx := context.Background()
	get := func() {
		t.Helper()
		if _, err := c.Payment(ctx, "imp_123456789012", false); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := c.Token(ctx)
	get()

	clock.Advance(28 * time.Minute) // 2 min left: still good
	get()
	if n := f.tokenCalls.Load(); n != 1 {
		t.Fatalf("getToken calls after 28 min = %d, want 1", n)
	}

	clock.Advance(90 * time.Second) // 30 s left: inside the 60 s buffer
	get()
	if n := f.tokenCalls.Load(); n != 2 {
		t.Fatalf("getToken calls after 29.5 min = %d, want 2", n)
	}
	// PortOne hands back the same token, extended by 5 minutes.
	if tok, _ := c.Token(ctx); tok != first {
		t.Errorf("token after extension = %q, want the same %q", tok, first)
	}

	clock.Advance(3 * time.Minute) // inside the extension
	get()
	if n := f.tokenCalls.Load(); n != 2 {
		t.Fatalf("getToken calls inside the extension = %d, want 2", n)
	}

	clock.Advance(time.Hour) // long expired: a new token
	get()
	if n := f.tokenCalls.Load(); n != 3 {
		t.Fatalf("getToken calls after expiry = %d, want 3", n)
	}
	if tok, _ := c.Token(ctx); tok == first {
		t.Errorf("token after expiry is still %q", tok)
	}
}

func TestTokenClockSkew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		skew time.Duration // server clock minus client clock
	}{
		{"server ahead 1h", time.Hour},
		{"server behind 1h", -time.Hour},
		{"server behind 10 min", -10 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			f := newFake(t)
			f.now = func() time.Time { return clock.Now().Add(tc.skew) }
			f.handleFixture(paymentPath, 200, "payment_paid_card.json")
			c := f.client()
			c.Now = clock.Now
			ctx := context.Background()
			for _, step := range []time.Duration{0, time.Minute, 27 * time.Minute} {
				clock.Advance(step)
				if _, err := c.Payment(ctx, "imp_123456789012", false); err != nil {
					t.Fatal(err)
				}
			}
			if n := f.tokenCalls.Load(); n != 1 {
				t.Errorf("getToken calls within the lifetime = %d, want 1", n)
			}
			// 29.5 min after issue by both clocks: refreshed ahead of
			// PortOne's expiry, so no 401 was ever seen.
			clock.Advance(90 * time.Second)
			if _, err := c.Payment(ctx, "imp_123456789012", false); err != nil {
				t.Fatal(err)
			}
			if n := f.tokenCalls.Load(); n != 2 {
				t.Errorf("getToken calls at 29.5 min = %d, want 2", n)
			}
			if n := f.count(paymentPath); n != 4 {
				t.Errorf("payment requests = %d, want 4 (no 401 retries)", n)
			}
		})
	}
}

func TestUnauthorizedRefreshesOnceAndRetries(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.handleFixture(paymentPath, 200, "payment_paid_card.json")
	c := f.client()
	ctx := context.Background()
	old, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.revokeAll() // PortOne no longer knows the cached token
	p, err := c.Payment(ctx, "imp_123456789012", false)
	if err != nil {
		t.Fatalf("Payment after revocation: %v", err)
	}
	if p.ImpUID != "imp_123456789012" {
		t.Errorf("ImpUID = %q", p.ImpUID)
	}
	if n := f.tokenCalls.Load(); n != 2 {
		t.Errorf("getToken calls = %d, want 2", n)
	}
	if tok, _ := c.Token(ctx); tok == old {
		t.Errorf("token still the revoked %q", tok)
	}
}

func TestUnauthorizedTwiceGivesUp(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	unauthorized := fixture(t, "unauthorized.json")
	f.handle(paymentPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusUnauthorized, unauthorized)
	})
	c := f.client()
	_, err := c.Payment(context.Background(), "imp_123456789012", false)
	if !IsUnauthorized(err) {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	if IsTransient(err) {
		t.Error("401 reported as transient")
	}
	if n := f.count(paymentPath); n != 2 {
		t.Errorf("payment requests = %d, want 2 (one retry)", n)
	}
	if n := f.tokenCalls.Load(); n != 2 {
		t.Errorf("getToken calls = %d, want 2 (one forced refresh)", n)
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.Message != MsgUnauthorized || pe.Code != -1 {
		t.Errorf("err = %#v, want code -1 %q", pe, MsgUnauthorized)
	}
}

func TestTokenCredentialErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	ctx := context.Background()

	c := f.client()
	c.Secret = "wrong"
	_, err := c.Token(ctx)
	if !IsUnauthorized(err) {
		t.Errorf("wrong secret: err = %v, want unauthorized", err)
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Errorf("getToken calls = %d, want 1 (a 401 is not retried)", n)
	}

	_, err = (&Client{BaseURL: f.srv.URL}).Payment(ctx, "imp_123456789012", false)
	if !errors.Is(err, ErrNoCredentials) {
		t.Errorf("no credentials: err = %v, want ErrNoCredentials", err)
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Errorf("getToken called without credentials")
	}
}

func TestTokenRefusalKeepsPortOnesMessage(t *testing.T) {
	t.Parallel()
	// A server that refuses the parameters, as PortOne does when they are missing.
	body := fixture(t, "token_missing_params.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, body)
	}))
	t.Cleanup(srv.Close)
	c := &Client{BaseURL: srv.URL, Key: "k", Secret: "s"}
	_, err := c.Token(context.Background())
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *Error", err)
	}
	want := Error{HTTPStatus: 400, Code: -1, Message: MsgMissingKeySecret, Endpoint: "POST /users/getToken"}
	if *pe != want {
		t.Errorf("err = %+v, want %+v", *pe, want)
	}
}

func TestTokenWaitHonoursContext(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.tokenGate = make(chan struct{})
	t.Cleanup(func() { close(f.tokenGate) })
	c := f.client()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestTokenFetchRetriedOnceOver(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, http.StatusServiceUnavailable, []byte(`{"code":-1,"message":"Service Unavailable","response":null}`))
	}))
	t.Cleanup(srv.Close)
	c := &Client{BaseURL: srv.URL, Key: "k", Secret: "s", MaxRetries: 2, RetryWait: time.Millisecond}
	_, err := c.Payment(context.Background(), "imp_123456789012", false)
	if !IsTransient(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	// getToken gets its own 1+2 attempts; the call does not retry them again.
	if n := calls.Load(); n != 3 {
		t.Errorf("getToken calls = %d, want 3", n)
	}
}
