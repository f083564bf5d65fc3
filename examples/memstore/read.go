package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/payresult/payresult"
)

// Orders lists orders, newest registration first.
func (s *Store) Orders(ctx context.Context, f payresult.OrderFilter) ([]*payresult.Order, error) {
	if (f.Status != "" && !f.Status.Valid()) || f.Limit < 0 {
		return nil, payresult.Errorf(payresult.KindInvalid, "memstore: orders: bad filter %+v", f)
	}
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*payresult.Order{}
	paging := f.Before != ""
	for _, uid := range slices.Backward(s.uids) {
		if paging {
			paging = uid != f.Before
			continue
		}
		o := s.orders[uid]
		if (f.Status == "" || o.Status == f.Status) && (f.Search == "" || f.Search == uid || s.impUIDs[f.Search] == uid) {
			out = append(out, copyOrder(o))
		}
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// CountByStatus counts all orders by status; every status is present.
func (s *Store) CountByStatus(ctx context.Context) (map[payresult.Status]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[payresult.Status]int{}
	for _, st := range payresult.Statuses {
		counts[st] = 0
	}
	for _, o := range s.orders {
		counts[o.Status]++
	}
	return counts, nil
}

// Attempts lists an order's payment attempts, oldest first.
func (s *Store) Attempts(ctx context.Context, merchantUID string) ([]payresult.Attempt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mustExist(merchantUID); err != nil {
		return nil, err
	}
	return slices.Clone(s.attempts[merchantUID]), nil
}

// Notes returns an order's timeline notes, oldest first; the timeline
// also keeps notes about merchant_uids that were never registered.
func (s *Store) Notes(ctx context.Context, merchantUID string) ([]payresult.Note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []payresult.Note
	for _, n := range s.notes {
		if n.MerchantUID == merchantUID {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, s.mustExist(merchantUID)
	}
	return out, nil
}

// Events returns up to limit events after the cursor, in Seq order.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]payresult.Event, error) {
	if limit < 0 || after < 0 {
		return nil, payresult.Errorf(payresult.KindInvalid, "memstore: events after %d, limit %d", after, limit)
	}
	if limit == 0 {
		limit = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	from := min(int(after), len(s.events))
	return copyEvents(s.events[from:min(from+limit, len(s.events))]), nil
}

// OrderEvents returns one order's events in Seq order.
func (s *Store) OrderEvents(ctx context.Context, merchantUID string) ([]payresult.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mustExist(merchantUID); err != nil {
		return nil, err
	}
	var out []payresult.Event
	for _, e := range s.events {
		if e.MerchantUID == merchantUID {
			out = append(out, e)
		}
	}
	return copyEvents(out), nil
}

// ClaimEvents leases up to limit pending events due at now, oldest first.
func (s *Store) ClaimEvents(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]payresult.Event, error) {
	if limit <= 0 || lease <= 0 {
		return nil, payresult.Errorf(payresult.KindInvalid, "memstore: claim events: limit %d and lease %s must be positive", limit, lease)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []payresult.Event
	for i := range s.events {
		e := &s.events[i]
		if len(out) == limit {
			break
		}
		if e.State == payresult.DeliveryPending && !e.NextAttempt.After(now) {
			e.NextAttempt = stamp(now.Add(lease))
			out = append(out, *e)
		}
	}
	return copyEvents(out), nil
}

// UpdateDelivery records the outcome of one delivery attempt.
func (s *Store) UpdateDelivery(ctx context.Context, d *payresult.Delivery) error {
	if d.EventID == "" || !knownState(d.State, false) || d.Attempts < 0 {
		return payresult.Errorf(payresult.KindInvalid, "memstore: delivery %+v", *d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.eventIDs[d.EventID]
	if !ok {
		return payresult.Errorf(payresult.KindNotFound, "memstore: event %q not found", d.EventID)
	}
	e := &s.events[i]
	e.State, e.Attempts, e.LastError = d.State, d.Attempts, d.LastError
	e.NextAttempt, e.DeliveredAt = stamp(d.NextAttempt), stamp(d.DeliveredAt)
	return nil
}

// DueOrders leases up to limit orders whose next check is due at now,
// most overdue first.
func (s *Store) DueOrders(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*payresult.Order, error) {
	if limit <= 0 || lease <= 0 {
		return nil, payresult.Errorf(payresult.KindInvalid, "memstore: due orders: limit %d and lease %s must be positive", limit, lease)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*payresult.Order
	for _, uid := range s.uids {
		if o := s.orders[uid]; !o.NextCheckAt.IsZero() && !o.NextCheckAt.After(now) {
			due = append(due, o)
		}
	}
	slices.SortStableFunc(due, func(a, b *payresult.Order) int { return a.NextCheckAt.Compare(b.NextCheckAt) })
	out := []*payresult.Order{}
	for _, o := range due[:min(limit, len(due))] {
		o.NextCheckAt = stamp(now.Add(lease))
		out = append(out, copyOrder(o))
	}
	return out, nil
}

// ScheduleCheck sets an order's next check and check count, leaving its
// version alone.
func (s *Store) ScheduleCheck(ctx context.Context, merchantUID string, next time.Time, checks int) error {
	if checks < 0 {
		return payresult.Errorf(payresult.KindInvalid, "memstore: negative check count %d", checks)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mustExist(merchantUID); err != nil {
		return err
	}
	o := s.orders[merchantUID]
	o.NextCheckAt, o.Checks = stamp(next), checks
	return nil
}

// Ping answers: memory is always there.
func (s *Store) Ping(ctx context.Context) error { return nil }

// Close does nothing; the store is garbage once unreferenced.
func (s *Store) Close() error { return nil }

// mustExist returns a KindNotFound error unless the order exists.
func (s *Store) mustExist(merchantUID string) error {
	if _, ok := s.orders[merchantUID]; !ok {
		return payresult.Errorf(payresult.KindNotFound, "memstore: order %q not found", merchantUID)
	}
	return nil
}

// copyEvents returns copies of evs that share no data with the store.
func copyEvents(evs []payresult.Event) []payresult.Event {
	out := make([]payresult.Event, len(evs))
	for i, e := range evs {
		e.Data = slices.Clone(e.Data)
		out[i] = e
	}
	return out
}
