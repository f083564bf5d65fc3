// Package memstore is a payresult.Store kept in memory: about the smallest
// store that passes payresult's conformance suite (package storetest),
// written outside payresult as anyone's own store would be. Everything is
// lost when the process ends, so it suits tests and examples, not money.
//
// One mutex guards everything: each Apply checks its whole change and
// only then writes it, so a refused change leaves nothing behind, and the
// compare-and-set on the order's version cannot race.
package memstore

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/payresult/payresult"
)

// Store is an in-memory payresult.Store. The zero value is not ready; use
// New. It is safe for concurrent use.
type Store struct {
	mu       sync.Mutex
	orders   map[string]*payresult.Order // by merchant_uid
	uids     []string                    // merchant_uids, oldest registration first
	impUIDs  map[string]string           // imp_uid → merchant_uid it is bound to
	attempts map[string][]payresult.Attempt
	events   []payresult.Event // the feed: events[i].Seq == i+1
	eventIDs map[string]int    // event id → index in events
	notes    []payresult.Note  // notes[i].ID == i+1
	keys     map[string]*payresult.IdempotencyRecord
}

var _ payresult.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		orders:   map[string]*payresult.Order{},
		impUIDs:  map[string]string{},
		attempts: map[string][]payresult.Attempt{},
		eventIDs: map[string]int{},
		keys:     map[string]*payresult.IdempotencyRecord{},
	}
}

// Order returns the order with the given merchant_uid.
func (s *Store) Order(ctx context.Context, merchantUID string) (*payresult.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[merchantUID]
	if !ok {
		return nil, payresult.Errorf(payresult.KindNotFound, "memstore: order %q not found", merchantUID)
	}
	return copyOrder(o), nil
}

// OrderByImpUID returns the order an imp_uid is bound to.
func (s *Store) OrderByImpUID(ctx context.Context, impUID string) (*payresult.Order, error) {
	s.mu.Lock()
	uid, ok := s.impUIDs[impUID]
	s.mu.Unlock()
	if !ok {
		return nil, payresult.Errorf(payresult.KindNotFound, "memstore: no order for imp_uid %q", impUID)
	}
	return s.Order(ctx, uid)
}

// Apply stores one change whole, or nothing of it.
func (s *Store) Apply(ctx context.Context, c *payresult.Change) error {
	return s.ApplyMany(ctx, []*payresult.Change{c})[0]
}

// ApplyMany applies each change as Apply would, in order, and answers
// each one.
func (s *Store) ApplyMany(ctx context.Context, cs []*payresult.Change) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	errs := make([]error, len(cs))
	for i, c := range cs {
		if errs[i] = validate(c); errs[i] == nil {
			if errs[i] = s.check(c); errs[i] == nil {
				s.write(c)
			}
		}
	}
	return errs
}

// check refuses a valid change that the stored state does not allow: a
// lost compare-and-set, a missing order, an imp_uid bound to another
// order, an event id that exists, an idempotency key its claim no longer
// holds.
func (s *Store) check(c *payresult.Change) error {
	if w := c.Idempotency; w != nil && !s.holds(w) {
		return payresult.Errorf(payresult.KindIdempotencyKeyInUse, "memstore: idempotency key %q is no longer held by this request", w.Key)
	}
	uid := c.MerchantUID()
	cur, exists := s.orders[uid]
	switch {
	case c.Order != nil && c.FromVersion == 0 && exists:
		return payresult.Errorf(payresult.KindConflict, "memstore: order %q is already registered", uid)
	case c.Order != nil && c.FromVersion == 0:
	case uid != "" && !exists:
		return payresult.Errorf(payresult.KindNotFound, "memstore: order %q not found", uid)
	case c.Order != nil && cur.Version != c.FromVersion:
		return payresult.Errorf(payresult.KindConflict, "memstore: order %q is at version %d, not %d", uid, cur.Version, c.FromVersion)
	}
	if a := c.Attempt; a != nil {
		if bound, ok := s.impUIDs[a.ImpUID]; ok && bound != uid {
			return payresult.Errorf(payresult.KindConflict, "memstore: imp_uid %q is bound to order %q", a.ImpUID, bound)
		}
	}
	seen := map[string]bool{}
	for _, e := range c.Events {
		if _, ok := s.eventIDs[e.ID]; ok || seen[e.ID] {
			return payresult.Errorf(payresult.KindConflict, "memstore: event %q exists", e.ID)
		}
		seen[e.ID] = true
	}
	return nil
}

// write stores a change that check accepted, and tells the caller the
// order's new version and the events' seqs.
func (s *Store) write(c *payresult.Change) {
	if c.Order != nil {
		s.writeOrder(c)
	}
	if a := c.Attempt; a != nil {
		s.writeAttempt(*a)
	}
	for i := range c.Events {
		e := c.Events[i]
		e.Seq = int64(len(s.events) + 1)
		e.CreatedAt = stamp(e.CreatedAt)
		e.Data = slices.Clone(e.Data)
		if e.State == "" {
			e.State = payresult.DeliveryPending
		}
		if e.State == payresult.DeliveryPending && e.NextAttempt.IsZero() {
			e.NextAttempt = e.CreatedAt // due as soon as it exists
		}
		s.eventIDs[e.ID] = len(s.events)
		s.events = append(s.events, e)
		c.Events[i].Seq = e.Seq
	}
	for _, n := range c.Notes {
		n.ID = int64(len(s.notes) + 1)
		n.At = stamp(n.At)
		s.notes = append(s.notes, n)
	}
	if w := c.Idempotency; w != nil {
		s.writeKey(w)
	}
}

// writeOrder registers the order, or writes its new state: never its
// terms, which stay as registered.
func (s *Store) writeOrder(c *payresult.Change) {
	o := copyOrder(c.Order)
	o.Version = c.FromVersion + 1
	if cur, ok := s.orders[o.MerchantUID]; ok {
		o.Name, o.Amount, o.Currency = cur.Name, cur.Amount, cur.Currency
		o.SuccessURL, o.FailURL, o.CreatedAt, o.API = cur.SuccessURL, cur.FailURL, cur.CreatedAt, cur.API
	} else {
		s.uids = append(s.uids, o.MerchantUID)
	}
	s.orders[o.MerchantUID] = o
	c.Order.Version = o.Version
}

// writeAttempt inserts the attempt, or updates the one with its imp_uid.
func (s *Store) writeAttempt(a payresult.Attempt) {
	a.CreatedAt, a.UpdatedAt = stamp(a.CreatedAt), stamp(a.UpdatedAt)
	s.impUIDs[a.ImpUID] = a.MerchantUID
	list := s.attempts[a.MerchantUID]
	if i := slices.IndexFunc(list, func(b payresult.Attempt) bool { return b.ImpUID == a.ImpUID }); i >= 0 {
		list[i] = a
		return
	}
	list = append(list, a)
	slices.SortStableFunc(list, func(x, y payresult.Attempt) int { return x.CreatedAt.Compare(y.CreatedAt) })
	s.attempts[a.MerchantUID] = list
}

// validate refuses a change no store could keep.
func validate(c *payresult.Change) error {
	bad := func(format string, args ...any) error {
		return payresult.Errorf(payresult.KindInvalid, "memstore: "+format, args...)
	}
	switch {
	case c == nil || (c.Order == nil && c.Attempt == nil && len(c.Events) == 0 && len(c.Notes) == 0 && c.Idempotency == nil):
		return bad("empty change")
	case c.Idempotency != nil && !validWrite(c.Idempotency):
		return bad("a write to idempotency key %q needs a token, and a basis or an answer", c.Idempotency.Key)
	case c.FromVersion < 0:
		return bad("negative version %d", c.FromVersion)
	case c.Order != nil && (c.Order.MerchantUID == "" || !c.Order.Status.Valid() || (c.Order.API != "" && !c.Order.API.Valid())):
		return bad("order needs a merchant_uid and a known status")
	}
	uid := c.MerchantUID()
	if a := c.Attempt; a != nil && (a.ImpUID == "" || a.MerchantUID != uid) {
		return bad("attempt %q is not of order %q", a.ImpUID, uid)
	}
	for _, e := range c.Events {
		if e.ID == "" || e.MerchantUID != uid || (len(e.Data) > 0 && !json.Valid(e.Data)) || !knownState(e.State, true) {
			return bad("event %q needs an id, order %q, JSON data and a known delivery state", e.ID, uid)
		}
	}
	for _, n := range c.Notes {
		if n.MerchantUID == "" || n.Source == "" || n.Kind == "" {
			return bad("a note needs a merchant_uid, a source and a kind")
		}
	}
	return nil
}

// knownState reports whether st is a delivery state; empty means pending
// where allowEmpty.
func knownState(st payresult.DeliveryState, allowEmpty bool) bool {
	switch st {
	case payresult.DeliveryPending, payresult.DeliveryDelivered, payresult.DeliveryDead, payresult.DeliveryNone:
		return true
	}
	return st == "" && allowEmpty
}

// stamp keeps a time as stores keep it: UTC, to the microsecond.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// copyOrder returns a copy of o that shares nothing with it, with its
// times stamped.
func copyOrder(o *payresult.Order) *payresult.Order {
	c := *o
	if o.Vbank != nil {
		v := *o.Vbank
		v.Deadline, v.IssuedAt = stamp(v.Deadline), stamp(v.IssuedAt)
		c.Vbank = &v
	}
	c.CreatedAt, c.UpdatedAt, c.PaidAt, c.NextCheckAt = stamp(o.CreatedAt), stamp(o.UpdatedAt), stamp(o.PaidAt), stamp(o.NextCheckAt)
	return &c
}
