package reconcile

import (
	"context"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

func TestNextCheck(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := &Reconciler{Schedule: []time.Duration{time.Minute, 10 * time.Minute, time.Hour}, ExpiryGrace: 2 * time.Minute}
	vbank := func(deadline time.Time) *payresult.Order {
		return &payresult.Order{Status: payresult.StatusVbankIssued, Vbank: &payresult.VirtualAccount{Deadline: deadline}}
	}
	tests := []struct {
		name   string
		order  *payresult.Order
		checks int
		want   time.Time // zero: never again
	}{
		{"pending after the first check", &payresult.Order{Status: payresult.StatusPending}, 1, now.Add(10 * time.Minute)},
		{"pending after the second check", &payresult.Order{Status: payresult.StatusPending}, 2, now.Add(time.Hour)},
		{"pending after the schedule", &payresult.Order{Status: payresult.StatusPending}, 3, time.Time{}},
		{"paid", &payresult.Order{Status: payresult.StatusPaid}, 1, time.Time{}},
		{"failed", &payresult.Order{Status: payresult.StatusFailed}, 1, time.Time{}},
		{"expired", &payresult.Order{Status: payresult.StatusExpired}, 1, time.Time{}},
		{"forged and cancelled", &payresult.Order{Status: payresult.StatusForged, ForgeryCancelled: true}, 1, time.Time{}},
		{"forged, cancel pending, after the schedule", &payresult.Order{Status: payresult.StatusForged}, 9, now.Add(time.Hour)},
		{"vbank far from its deadline", vbank(now.Add(48 * time.Hour)), 1, now.Add(10 * time.Minute)},
		{"vbank deadline before the next step", vbank(now.Add(5 * time.Minute)), 1, now.Add(7 * time.Minute)},
		{"vbank after the schedule, deadline ahead", vbank(now.Add(48 * time.Hour)), 5, now.Add(48*time.Hour + 2*time.Minute)},
		{"vbank past its deadline, not yet confirmed", vbank(now.Add(-time.Hour)), 5, now.Add(time.Hour)},
		{"vbank without a deadline", &payresult.Order{Status: payresult.StatusVbankIssued}, 1, now.Add(10 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.nextCheck(tt.order, tt.checks, now); !got.Equal(tt.want) {
				t.Errorf("nextCheck after check %d = %v, want %v", tt.checks, got, tt.want)
			}
		})
	}
}

func TestLimiterSpacesCalls(t *testing.T) {
	l := newLimiter(200)
	start := time.Now()
	for range 21 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := time.Since(start), 100*time.Millisecond; got < want {
		t.Errorf("21 calls at 200 per second took %s, want at least %s", got, want)
	}
}

func TestLimiterStopsWithContext(t *testing.T) {
	l := newLimiter(0.001) // one call every 1000 s
	if err := l.wait(context.Background()); err != nil {
		t.Fatalf("first call: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.wait(ctx); err != context.Canceled {
		t.Errorf("second call with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestLimiterUnlimited(t *testing.T) {
	l := newLimiter(-1)
	start := time.Now()
	for range 1000 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := time.Since(start); got > 100*time.Millisecond {
		t.Errorf("1000 uncapped calls took %s, want no waiting", got)
	}
}
