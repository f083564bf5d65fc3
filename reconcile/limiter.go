package reconcile

import (
	"context"
	"sync"
	"time"
)

// limiter spaces calls evenly at no more than rate per second, shared by
// all goroutines of a pass. It uses the real clock on purpose: the cap
// protects PortOne, which lives in real time even when a test drives the
// reconciler's schedule with a fake clock.
type limiter struct {
	interval time.Duration // zero: no cap

	mu   sync.Mutex
	next time.Time // the earliest start of the next call
}

func newLimiter(perSecond float64) *limiter {
	if perSecond <= 0 {
		return &limiter{}
	}
	return &limiter{interval: time.Duration(float64(time.Second) / perSecond)}
}

// wait blocks until the caller may make one call, or ctx is done.
func (l *limiter) wait(ctx context.Context) error {
	if l.interval == 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	start := l.next
	if start.Before(now) {
		start = now
	}
	l.next = start.Add(l.interval)
	l.mu.Unlock()

	d := time.Until(start)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
