package emulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// received is one webhook as the merchant's server saw it.
type received struct {
	ContentType string
	Body        string
	Signature   bool // any header that looks like a signature
}

// receiver is a merchant's webhook endpoint that records what arrives and
// answers with the status answer gives for the nth call (from 1).
type receiver struct {
	URL    string
	mu     sync.Mutex
	got    []received
	answer func(n int) int
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := false
		for k := range r.Header {
			if strings.Contains(strings.ToLower(k), "signature") {
				sig = true
			}
		}
		rc.mu.Lock()
		rc.got = append(rc.got, received{ContentType: r.Header.Get("Content-Type"), Body: string(body), Signature: sig})
		n := len(rc.got)
		rc.mu.Unlock()
		status := http.StatusOK
		if rc.answer != nil {
			status = rc.answer(n)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL + "/portone/webhook"
	return rc
}

// bodies returns what has arrived so far.
func (rc *receiver) bodies() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// waitFor polls until cond holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling, bounded by the deadline
	}
}

// waitClosed waits for a Result's webhooks to end.
func waitClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("webhook deliveries did not end")
	}
}
