package portone

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// failing answers the first n requests with status (a proxy's HTML page
// for 502, PortOne's envelope otherwise), then with the fixture.
func failing(t *testing.T, n int32, status int, name string) (http.HandlerFunc, *atomic.Int32) {
	body := fixture(t, name)
	var seen atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			if status == http.StatusBadGateway {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(status)
				w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
				return
			}
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "0")
			}
			writeJSON(w, status, []byte(`{"code":-1,"message":"Internal Server Error","response":null}`))
			return
		}
		writeJSON(w, 200, body)
	}, &seen
}

func TestReadsAreRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 502, 503, 429} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			h, seen := failing(t, 2, status, "payment_paid_card.json")
			f.handle(paymentPath, h)
			c := f.client()
			var retries []int
			c.OnRetry = func(ep string, attempt int, err error, wait time.Duration) {
				retries = append(retries, attempt)
				if ep != paymentPath || !IsTransient(err) || wait > c.MaxRetryWait {
					t.Errorf("OnRetry(%q, %d, %v, %v)", ep, attempt, err, wait)
				}
			}
			if _, err := c.Payment(context.Background(), "imp_123456789012", false); err != nil {
				t.Fatal(err)
			}
			if n := seen.Load(); n != 3 {
				t.Errorf("requests = %d, want 3", n)
			}
			if len(retries) != 2 || retries[0] != 1 || retries[1] != 2 {
				t.Errorf("OnRetry attempts = %v, want [1 2]", retries)
			}
		})
	}
}

func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	h, seen := failing(t, 100, http.StatusBadGateway, "payment_paid_card.json")
	f.handle(paymentPath, h)
	c := f.client()
	c.MaxRetries = 2
	_, err := c.Payment(context.Background(), "imp_123456789012", false)
	if !IsTransient(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.HTTPStatus != 502 || pe.Message != "<html><body><h1>502 Bad Gateway</h1></body></html>" {
		t.Errorf("err = %+v", pe)
	}
	if n := seen.Load(); n != 3 {
		t.Errorf("requests = %d, want 3 (1 + MaxRetries)", n)
	}

	c.MaxRetries = -1
	seen.Store(0)
	if _, err := c.Payment(context.Background(), "imp_123456789012", false); err == nil {
		t.Fatal("want an error")
	}
	if n := seen.Load(); n != 1 {
		t.Errorf("requests with retries disabled = %d, want 1", n)
	}
}

// TestRetriesStopWhenContextEnds checks that a context that ends while
// the client waits to retry stops the retries: no request is sent after
// it, and the error says why. The context is cancelled from OnRetry,
// which runs before each wait, so the test does not depend on timing.
// (A deadline too close for the next wait is TestRetryNotStartedWhenDeadlineTooClose.)
func TestRetriesStopWhenContextEnds(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var arrivals atomic.Int32
	f.handle(paymentPath, func(w http.ResponseWriter, r *http.Request) {
		arrivals.Add(1)
		writeJSON(w, 503, []byte(`{"code":-1,"message":"Service Unavailable","response":null}`))
	})
	c := f.client()
	c.MaxRetries = 1000
	c.RetryWait, c.MaxRetryWait = 20*time.Millisecond, 40*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var atCancel int32
	c.OnRetry = func(_ string, attempt int, _ error, _ time.Duration) {
		if attempt == 3 {
			atCancel = arrivals.Load()
			cancel()
		}
	}
	_, err := c.Payment(ctx, "imp_123456789012", false)
	if err == nil || !IsTransient(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a transient error that wraps context.Canceled", err)
	}
	if atCancel != 3 {
		t.Errorf("requests before the cancel = %d, want 3", atCancel)
	}
	if n := arrivals.Load(); n != atCancel {
		t.Errorf("requests = %d, want %d: a retry was sent after the context ended", n, atCancel)
	}
}

func TestRetryNotStartedWhenDeadlineTooClose(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	h, seen := failing(t, 1<<30, 500, "payment_paid_card.json")
	f.handle(paymentPath, h)
	c := f.client()
	c.RetryWait, c.MaxRetryWait = time.Hour, time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Payment(ctx, "imp_123456789012", false)
	// Had the client waited for the retry, the context's deadline would
	// have ended the wait and the error would wrap it.
	if !IsTransient(err) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v: want a transient error given without waiting for the deadline", err)
	}
	if n := seen.Load(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestNetworkErrorsAreRetried(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	body := fixture(t, "payment_paid_card.json")
	var seen atomic.Int32
	f.handle(paymentPath, func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) == 1 {
			// Drop the connection without an answer.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
			return
		}
		writeJSON(w, 200, body)
	})
	if _, err := f.client().Payment(context.Background(), "imp_123456789012", false); err != nil {
		t.Fatal(err)
	}
	if n := seen.Load(); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestUnreachableServerIsTransient(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := f.client()
	f.srv.Close()
	_, err := c.Payment(context.Background(), "imp_123456789012", false)
	if !IsTransient(err) {
		t.Errorf("err = %v, want transient", err)
	}
	var pe *Error
	if errors.As(err, &pe) {
		t.Errorf("network error reported as PortOne's answer: %v", pe)
	}
}

func TestMalformedSuccessIsNotTransient(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.handle(paymentPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []byte(`{"code":0,"message":null,"response":{"amount":"lots"}}`))
	})
	f.handle("GET /payments/imp_000000000001", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []byte(`{"code":0,"message":null,"response":null}`))
	})
	c := f.client()
	_, err := c.Payment(context.Background(), "imp_123456789012", false)
	if err == nil || IsTransient(err) {
		t.Errorf("bad amount: err = %v, want a permanent error", err)
	}
	if _, err := c.Payment(context.Background(), "imp_000000000001", false); err == nil {
		t.Error("null response: want an error")
	}
}

func TestIsTransient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&Error{HTTPStatus: 500}, true},
		{&Error{HTTPStatus: 429}, true},
		{&Error{HTTPStatus: 404, Code: -1}, false},
		{&Error{HTTPStatus: 200, Code: 1}, false},
		{&Error{HTTPStatus: 401}, false},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{&InputError{Field: "imp_uid"}, false},
		{errors.New("other"), false},
	} {
		if got := IsTransient(tc.err); got != tc.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// roundTripFunc is a transport wrapper of the kind metrics and logging
// put around the client's own.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestEachAttemptIsBounded checks that an answer that never comes fails
// the attempt after AttemptTimeout, even through a wrapped transport and
// with a caller's context that never ends, and that the retry gets a
// timeout of its own.
func TestEachAttemptIsBounded(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.handle(paymentPath, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // PortOne hangs until the client gives up
	})
	c := f.client()
	c.MaxRetries = 1
	// Attempts are counted as the client makes them: on a loaded machine
	// an attempt can time out before its request reaches the server.
	var attempts atomic.Int32
	base := DefaultHTTPClient().Transport
	c.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasPrefix(r.URL.Path, "/payments/") {
			attempts.Add(1)
		}
		return base.RoundTrip(r)
	})}
	// The token is fetched first, without the short timeout: on a loaded
	// machine its fetch alone could use up an attempt's 300 ms.
	if _, err := c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	const timeout = 300 * time.Millisecond
	c.AttemptTimeout = timeout
	start := time.Now()
	_, err := c.Payment(context.Background(), "imp_123456789012", false)
	took := time.Since(start)
	if err == nil || !IsTransient(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a transient deadline error", err)
	}
	if n := attempts.Load(); n != 2 {
		t.Errorf("attempts = %d, want 2 (the first and one retry)", n)
	}
	// Without a bound per attempt the call would never return; the upper
	// limit is only far enough above 2×timeout to hold on a busy machine.
	if took < 2*timeout || took > time.Minute {
		t.Errorf("returned after %v, want two timeouts of %v", took, timeout)
	}
}
