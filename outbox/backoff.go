package outbox

import (
	"math/rand/v2"
	"time"
)

// DefaultBackoff is the wait after each failed delivery attempt: quick
// retries for a blip, then hours apart for an outage. It adds up to a
// little over four days (at least 3.9 days before jitter is added), after
// which the event is dead. Including the first, an event gets
// len(DefaultBackoff)+1 attempts.
var DefaultBackoff = []time.Duration{
	5 * time.Second,
	30 * time.Second,
	2 * time.Minute,
	10 * time.Minute,
	30 * time.Minute,
	time.Hour,
	2 * time.Hour,
	4 * time.Hour,
	8 * time.Hour,
	12 * time.Hour,
	24 * time.Hour,
	24 * time.Hour,
	24 * time.Hour,
}

// nextWait returns how long to wait after the failed attempt number
// attempts (1 for the first), and false when the schedule is used up and
// the event is dead. The wait gets up to a quarter more as jitter, so that
// events that failed together (the app was down) do not all come back in
// the same second; jitter only ever adds, so the schedule's total is a
// floor on how long an event is retried.
func nextWait(schedule []time.Duration, attempts int) (time.Duration, bool) {
	if attempts < 1 || attempts > len(schedule) {
		return 0, false
	}
	d := schedule[attempts-1]
	if d <= 0 {
		return 0, true
	}
	return d + rand.N(d/4+1), true
}
