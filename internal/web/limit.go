package web

import (
	"net/http"
	"sync/atomic"

	"github.com/payresult/payresult"
)

// Default bounds of the confirming endpoints (the webhook and the
// redirect). Each request there holds a goroutine, buffers and a PortOne
// call; past these bounds a request is answered 503 at once, so that an
// overload costs a few bytes per refused request instead of memory that
// grows until the process dies. PortOne retries a webhook answered 5xx,
// and the reconciler finds any payment whose notices were all refused.
const (
	DefaultMaxConfirming = 512  // requests confirming at once
	DefaultMaxWaiting    = 1024 // requests waiting for one of those slots
)

// limiter admits up to cap(slots) requests at once and lets up to
// maxWaiting more wait for a slot; the rest are refused.
type limiter struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

func newLimiter(active, waiting int) *limiter {
	return &limiter{slots: make(chan struct{}, active), maxWaiting: int64(waiting)}
}

// limit wraps h: a request either gets a slot, waits for one while the
// queue has room and the client is still there, or is refused with 503.
func (s *Server) limit(l *limiter, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case l.slots <- struct{}{}:
		default:
			if l.waiting.Add(1) > l.maxWaiting {
				l.waiting.Add(-1)
				s.busy(w, r)
				return
			}
			select {
			case l.slots <- struct{}{}:
				l.waiting.Add(-1)
			case <-r.Context().Done():
				l.waiting.Add(-1)
				return
			}
		}
		defer func() { <-l.slots }()
		h.ServeHTTP(w, r)
	})
}

// busy refuses a request beyond the bounds.
func (s *Server) busy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	s.fail(w, r, payresult.Errorf(payresult.KindTransient, "payresult is at capacity; try again shortly"))
}
