package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/payresult/payresult"
)

// ClaimIdempotencyKey claims c.Key for a request: a new record, or one of
// the same fingerprint, unanswered, whose claim has ended, taken over.
// Any other record is returned as it is.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, c payresult.IdempotencyClaim) (*payresult.IdempotencyRecord, error) {
	if c.Key == "" || c.Fingerprint == "" || c.Token == "" || c.Now.IsZero() || c.LeaseUntil.IsZero() {
		return nil, payresult.Errorf(payresult.KindInvalid, "memstore: a claim needs a key, a fingerprint, a token, a time and a lease")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.keys[c.Key]
	switch {
	case !ok:
		r = &payresult.IdempotencyRecord{Key: c.Key, Fingerprint: c.Fingerprint, CreatedAt: stamp(c.Now)}
		s.keys[c.Key] = r
		fallthrough
	case r.Fingerprint == c.Fingerprint && r.Status == 0 && (r.Token == "" || !r.LeaseUntil.After(stamp(c.Now))):
		r.Token, r.LeaseUntil = c.Token, stamp(c.LeaseUntil)
	}
	return copyRecord(r), nil
}

// ReleaseIdempotencyKey ends token's claim on key without an answer.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.keys[key]; ok && r.Token == token && r.Status == 0 {
		r.Token = ""
	}
	return nil
}

// PruneIdempotencyKeys deletes up to limit records created before before,
// oldest first.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, payresult.Errorf(payresult.KindInvalid, "memstore: prune limit %d is not positive", limit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var old []*payresult.IdempotencyRecord
	for _, r := range s.keys {
		if r.CreatedAt.Before(before) {
			old = append(old, r)
		}
	}
	slices.SortFunc(old, func(a, b *payresult.IdempotencyRecord) int { return a.CreatedAt.Compare(b.CreatedAt) })
	old = old[:min(limit, len(old))]
	for _, r := range old {
		delete(s.keys, r.Key)
	}
	return len(old), nil
}

// holds reports whether w's claim holds its key, unanswered.
func (s *Store) holds(w *payresult.IdempotencyWrite) bool {
	r, ok := s.keys[w.Key]
	return ok && r.Token == w.Token && r.Status == 0
}

// writeKey writes a held key's basis or answer.
func (s *Store) writeKey(w *payresult.IdempotencyWrite) {
	r := s.keys[w.Key]
	if w.Basis != nil {
		r.Basis = slices.Clone(w.Basis)
	}
	r.Status, r.Body = w.Status, slices.Clone(w.Body)
}

// validWrite reports whether w names a claim and pins a basis or answers.
func validWrite(w *payresult.IdempotencyWrite) bool {
	if w.Key == "" || w.Token == "" {
		return false
	}
	if w.Status == 0 {
		return w.Basis != nil && w.Body == nil
	}
	return w.Status >= 100 && w.Status <= 599 && w.Body != nil
}

// copyRecord returns a copy of r that shares nothing with it.
func copyRecord(r *payresult.IdempotencyRecord) *payresult.IdempotencyRecord {
	c := *r
	c.Basis, c.Body = slices.Clone(r.Basis), slices.Clone(r.Body)
	return &c
}
