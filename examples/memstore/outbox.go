package memstore

import (
	"context"
	"time"

	"github.com/payresult/payresult"
)

// ResendEvent puts a delivered or dead event back in the outbox, pending
// and due at at.
func (s *Store) ResendEvent(ctx context.Context, eventID string, at time.Time) error {
	if eventID == "" || at.IsZero() {
		return payresult.Errorf(payresult.KindInvalid, "memstore: resend event: an event id and a time are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.eventIDs[eventID]
	if !ok {
		return payresult.Errorf(payresult.KindNotFound, "memstore: event %q not found", eventID)
	}
	e := &s.events[i]
	if e.State != payresult.DeliveryDelivered && e.State != payresult.DeliveryDead {
		return payresult.Errorf(payresult.KindConflict, "memstore: event %s is %s: it waits for delivery already", eventID, e.State)
	}
	e.State, e.NextAttempt = payresult.DeliveryPending, stamp(at)
	return nil
}

// OutboxBacklog counts the pending and dead events.
func (s *Store) OutboxBacklog(ctx context.Context) (payresult.OutboxBacklog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b payresult.OutboxBacklog
	for _, e := range s.events {
		switch e.State {
		case payresult.DeliveryPending:
			if b.Pending == 0 {
				b.OldestPending = e.CreatedAt
			}
			b.Pending++
		case payresult.DeliveryDead:
			b.Dead++
		}
	}
	return b, nil
}
