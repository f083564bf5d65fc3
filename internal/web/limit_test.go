package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestLimitRefusesBeyondQueue fills the one slot and the one queue place
// and checks that the next request is refused with 503 at once, and that
// the held and the queued ones are then served.
func TestLimitRefusesBeyondQueue(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	l := newLimiter(1, 1)
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	h := s.limit(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	codes := make(chan int, 2)
	serve := func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/portone/webhook", nil))
		codes <- rec.Code
	}
	go serve()
	<-entered // the first holds the slot
	go serve()
	waitFor(t, func() bool { return l.waiting.Load() == 1 })

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/portone/webhook", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("third request: status %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	close(release)
	for range 2 {
		if got := <-codes; got != http.StatusOK {
			t.Errorf("admitted request: status %d, want 200", got)
		}
	}
	if n := l.waiting.Load(); n != 0 || len(l.slots) != 0 {
		t.Errorf("after the requests: %d waiting, %d slots held; want 0, 0", n, len(l.slots))
	}
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}
