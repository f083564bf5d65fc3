package payresult

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync/atomic"
	"time"
)

// Idempotency keys: an app that times out and sends its request again
// must not refund twice. A request made with an idempotency key (the app
// API's Idempotency-Key header, RefundRequest.IdempotencyKey and
// NewOrder.IdempotencyKey in Go) claims the key in the store before it
// does anything, and the change that answers it stores the answer with
// the key in the same transaction. A request with the key again then gets
// that answer and changes nothing.
const (
	// IdempotencyKeyRetention is how long an idempotency key's record is
	// kept at least, from the key's first use: a request with the key
	// within it gets the first answer. Later the record may be pruned,
	// and the key is new again.
	IdempotencyKeyRetention = 24 * time.Hour
	// IdempotencyKeyLease is how long a request holds its key while it
	// runs. A request with the key meanwhile is refused with
	// KindIdempotencyKeyInUse; once the lease has ended (its holder died)
	// the next one takes the key over and runs. That is safe because a
	// keyed request repeats what its first run pinned (a refund repeats
	// its first cancel request, whose checksum PortOne refuses once it
	// went through) instead of deciding anew.
	IdempotencyKeyLease = 2 * time.Minute
	// MaxIdempotencyKeyLen bounds an idempotency key. A key is 1 to
	// MaxIdempotencyKeyLen visible ASCII characters; a random UUID is a
	// good one.
	MaxIdempotencyKeyLen = 255
)

// IdempotencyStore keeps the records of idempotency keys. Every Store
// implements it; the conformance suite (package storetest) says what each
// method must do. A record is written by its claim and then by the
// changes made under it (Change.Idempotency).
type IdempotencyStore interface {
	// ClaimIdempotencyKey claims c.Key for a request, atomically: an
	// unknown key gets a new record held by c.Token until c.LeaseUntil;
	// a record of the same fingerprint, unanswered, whose claim has ended
	// (released, or LeaseUntil at or before c.Now) is taken over: its
	// Token and LeaseUntil become c's, its basis and CreatedAt stay. Any
	// other record is left as it is. It returns the record as stored
	// after: the caller holds the key exactly when the record's Token is
	// c.Token and it has no answer.
	ClaimIdempotencyKey(ctx context.Context, c IdempotencyClaim) (*IdempotencyRecord, error)
	// ReleaseIdempotencyKey ends token's claim on key without an answer,
	// so that the next request with the key takes it over at once, with
	// the basis pinned so far. It does nothing when token does not hold
	// the key.
	ReleaseIdempotencyKey(ctx context.Context, key, token string) error
	// PruneIdempotencyKeys deletes up to limit records created before
	// before, and returns how many it deleted.
	PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error)
}

// IdempotencyClaim asks IdempotencyStore.ClaimIdempotencyKey for a key.
type IdempotencyClaim struct {
	Key string
	// Fingerprint identifies the request: the same key with another
	// fingerprint is another request, which the key's record refuses.
	Fingerprint string
	// Token identifies this claim, unique per request.
	Token string
	// Now is the time of the claim: a new record's CreatedAt, and the
	// time against which an earlier claim's lease has ended.
	Now time.Time
	// LeaseUntil is when this claim ends unless answered or released.
	LeaseUntil time.Time
}

// IdempotencyRecord is what a store keeps of one idempotency key.
type IdempotencyRecord struct {
	Key         string
	Fingerprint string
	// CreatedAt is the key's first use; the record is kept
	// IdempotencyKeyRetention from it.
	CreatedAt time.Time
	// Token is the claim that holds the key, or answered it; empty once
	// released.
	Token string
	// LeaseUntil is when the claim ends unless answered.
	LeaseUntil time.Time
	// Basis is what the request pinned for any run after its first (a
	// refund's cancel request), nil when none.
	Basis []byte
	// Status and Body are the answer: the app API's HTTP status and JSON
	// body. Status is 0 while the request has no answer.
	Status int
	Body   []byte
}

// IdempotencyWrite is the write to an idempotency key's record that a
// Change carries: the basis a request pins, or its answer, or both.
type IdempotencyWrite struct {
	Key string
	// Token is the claim the write is made under: the write, and with it
	// the whole change, is refused with KindIdempotencyKeyInUse unless
	// Token still holds the key, unanswered.
	Token string
	// Basis, when not nil, replaces the record's basis.
	Basis []byte
	// Status, when not 0, is the answer's status, and Body its body: the
	// key is answered for good.
	Status int
	Body   []byte
}

// idempotencyPruneEvery is how often a Processor prunes the records of
// idempotency keys older than IdempotencyKeyRetention, on the way of a
// keyed request; idempotencyPruneLimit bounds one pruning, so that no
// request waits long for it. A full pruning is followed by another on
// the next keyed request.
const (
	idempotencyPruneEvery = 10 * time.Minute
	idempotencyPruneLimit = 1000
)

// idempotencyState is what a Processor keeps between keyed requests.
type idempotencyState struct {
	lastPrune atomic.Int64 // Unix nanoseconds of the last pruning; 0 for never
}

// keyClaim is a keyed request's hold on its key while it runs.
type keyClaim struct {
	key, token string
	// basis is what an earlier run of the request pinned; nil on its
	// first run (until it pins its own).
	basis []byte
	// stored is the answer once a change stored it.
	stored *answer
}

// keyed runs a request under an idempotency key: it claims the key, runs
// the request unless the key already has an answer, and makes sure the
// answer is stored. run stores its answer with the change that answers
// it (see keyAnswer); an answer without a change is stored here on its
// own. An error that leaves the outcome unknown (KindTransient, or
// internal) is not an answer: the key is released, so that a retry runs
// the request again, safely, from the basis pinned so far.
//
// The same key with another fingerprint is refused with
// KindIdempotencyMismatch, and while another request holds the key with
// KindIdempotencyKeyInUse.
func (p *Processor) keyed(ctx context.Context, key string, fingerprint string, run func(k *keyClaim) (int, *Order, error)) (int, *Order, error) {
	ks, ok := p.Store.(IdempotencyStore)
	if !ok {
		return 0, nil, Errorf(KindInternal, "this Processor's store keeps no idempotency keys (it is no payresult.IdempotencyStore)")
	}
	if err := checkIdempotencyKey(key); err != nil {
		return 0, nil, err
	}
	k, stored, err := p.claimKey(ctx, ks, key, fingerprint)
	switch {
	case err != nil:
		return 0, nil, err
	case stored != nil:
		return stored.result()
	}
	status, o, err := run(k)
	return p.answerKey(ctx, ks, k, status, o, err)
}

// claimKey claims key for a request with fingerprint, pruning old keys on
// the way. It returns the claim, or the answer the key already has.
func (p *Processor) claimKey(ctx context.Context, ks IdempotencyStore, key, fingerprint string) (*keyClaim, *answer, error) {
	now := p.now()
	p.pruneIdempotencyKeys(ctx, ks, now)
	k := &keyClaim{key: key, token: newClaimToken()}
	rec, err := ks.ClaimIdempotencyKey(ctx, IdempotencyClaim{
		Key: key, Fingerprint: fingerprint, Token: k.token, Now: now, LeaseUntil: now.Add(IdempotencyKeyLease),
	})
	switch {
	case err != nil:
		return nil, nil, err
	case rec.Fingerprint != fingerprint:
		return nil, nil, Errorf(KindIdempotencyMismatch, "Idempotency-Key %q was used for another request; use a new key for a new request", key)
	case rec.Status != 0:
		return nil, &answer{rec.Status, rec.Body}, nil
	case rec.Token != k.token:
		return nil, nil, Errorf(KindIdempotencyKeyInUse, "a request with Idempotency-Key %q is still running; retry it in a moment", key)
	}
	k.basis = rec.Basis
	return k, nil, nil
}

// answerKey ends k's request, which returned status and o, or err: it
// returns the answer a change stored, or stores it now, or releases the
// key when the outcome is unknown.
func (p *Processor) answerKey(ctx context.Context, ks IdempotencyStore, k *keyClaim, status int, o *Order, err error) (int, *Order, error) {
	if k.stored != nil {
		if err != nil && k.stored.status >= 400 {
			return 0, nil, err // the stored answer is this error's, which keeps its cause for the logs
		}
		return k.stored.result()
	}
	switch KindOf(err) {
	case KindIdempotencyKeyInUse:
		return 0, nil, err // taken over by a retry: the key is not this request's to release
	case KindTransient, KindInternal:
		p.releaseIdempotencyKey(ctx, ks, k)
		return 0, nil, err
	}
	a, aerr := newAnswer(status, o, err)
	if aerr == nil {
		aerr = p.Store.Apply(ctx, &Change{Idempotency: a.write(k)})
	}
	switch {
	case KindOf(aerr) == KindIdempotencyKeyInUse:
		return 0, nil, aerr // taken over by a retry, which answers
	case aerr != nil:
		p.releaseIdempotencyKey(ctx, ks, k)
		return 0, nil, WrapError(KindTransient, aerr, "storing the answer to Idempotency-Key %q failed; retry the same request", k.key)
	case err != nil:
		return 0, nil, err
	}
	return a.result()
}

// releaseIdempotencyKey releases k's claim, even when ctx has ended; a
// failure only delays the next run until the lease ends.
func (p *Processor) releaseIdempotencyKey(ctx context.Context, ks IdempotencyStore, k *keyClaim) {
	if err := ks.ReleaseIdempotencyKey(context.WithoutCancel(ctx), k.key, k.token); err != nil {
		p.logger().Warn("idempotency key not released; it is free again when its lease ends", "err", err)
	}
}

// pruneIdempotencyKeys deletes the records of keys older than
// IdempotencyKeyRetention, at most every idempotencyPruneEvery. A failure
// is logged: the records are pruned on a later request.
func (p *Processor) pruneIdempotencyKeys(ctx context.Context, ks IdempotencyStore, now time.Time) {
	last := p.idempotency.lastPrune.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < idempotencyPruneEvery {
		return
	}
	if !p.idempotency.lastPrune.CompareAndSwap(last, now.UnixNano()) {
		return // another request prunes
	}
	n, err := ks.PruneIdempotencyKeys(ctx, now.Add(-IdempotencyKeyRetention), idempotencyPruneLimit)
	if err != nil {
		p.logger().Warn("pruning idempotency keys failed", "err", err)
	}
	if err != nil || n == idempotencyPruneLimit {
		p.idempotency.lastPrune.Store(last) // go on with the next keyed request
	}
}

// checkIdempotencyKey refuses a key that is empty, too long or not
// visible ASCII.
func checkIdempotencyKey(key string) error {
	ok := key != "" && len(key) <= MaxIdempotencyKeyLen
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if !ok {
		return Errorf(KindInvalid, "Idempotency-Key must be 1 to %d visible ASCII characters (a random UUID, say)", MaxIdempotencyKeyLen)
	}
	return nil
}

// newClaimToken returns a random token for one claim.
func newClaimToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// fingerprintOf returns the fingerprint of a request: a hash of v, which
// holds the request's operation and parameters. v must encode to JSON.
func fingerprintOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("payresult: fingerprint of a request that does not encode: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// answer is a keyed request's answer as stored: the app API's status and
// its JSON body, the order or the error. Go callers get it back as the
// same order or error.
type answer struct {
	status int
	body   []byte
}

// answerError is the body of an error answer, as the app API sends it.
type answerError struct {
	Error struct {
		Code    ErrorKind `json:"code"`
		Message string    `json:"message"`
	} `json:"error"`
}

// newAnswer returns the answer to a request that ended with err, or else
// with o, as stored, and status.
func newAnswer(status int, o *Order, err error) (answer, error) {
	if err != nil {
		var e answerError
		status, e.Error.Code, e.Error.Message = HTTPError(err)
		b, merr := json.Marshal(e)
		return answer{status, b}, merr
	}
	if o == nil {
		return answer{}, Errorf(KindInternal, "a keyed request answered without an order")
	}
	b, err := json.Marshal(storedForm(o))
	return answer{status, b}, err
}

// result returns the order or the error a stored answer stands for, as
// the request that stored it returned them.
func (a answer) result() (int, *Order, error) {
	if a.status >= 400 {
		var e answerError
		if err := json.Unmarshal(a.body, &e); err != nil {
			return 0, nil, WrapError(KindInternal, err, "a stored answer does not decode")
		}
		return a.status, nil, &Error{Kind: e.Error.Code, Message: e.Error.Message}
	}
	var o Order
	if err := json.Unmarshal(a.body, &o); err != nil {
		return 0, nil, WrapError(KindInternal, err, "a stored answer does not decode")
	}
	return a.status, &o, nil
}

// write is the write that stores a under k.
func (a answer) write(k *keyClaim) *IdempotencyWrite {
	return &IdempotencyWrite{Key: k.key, Token: k.token, Status: a.status, Body: a.body}
}

// storedForm returns a copy of o as a store keeps it: times to the
// microsecond, in UTC.
func storedForm(o *Order) *Order {
	s := *o
	s.CreatedAt, s.UpdatedAt = storedTime(o.CreatedAt), storedTime(o.UpdatedAt)
	s.PaidAt, s.NextCheckAt = storedTime(o.PaidAt), storedTime(o.NextCheckAt)
	if o.Vbank != nil {
		v := *o.Vbank
		v.Deadline, v.IssuedAt = storedTime(v.Deadline), storedTime(v.IssuedAt)
		s.Vbank = &v
	}
	return &s
}

// storedTime is t as a store keeps it; the zero time stays zero.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Microsecond).UTC()
}

// keyAnswer is how a change answers a keyed request: the answer it
// stores with itself, built from the order the change stores. A nil
// *keyAnswer (a request without a key) stores nothing more.
type keyAnswer struct {
	claim  *keyClaim
	status int   // the status of a success
	err    error // the error the request answers instead, if any
}

// answer returns how a change answers k's request: with err, or, when err
// is nil, with status and the order the change stores. It is nil when k
// is nil.
func (k *keyClaim) answer(status int, err error) *keyAnswer {
	if k == nil {
		return nil
	}
	return &keyAnswer{claim: k, status: status, err: err}
}

// apply stores c with the answer built from o, as c stores it: Store.Apply
// for a nil a. Once stored, the answer is the claim's.
func (a *keyAnswer) apply(ctx context.Context, s OrderStore, c *Change, o *Order) error {
	if a == nil {
		return s.Apply(ctx, c)
	}
	if c.Order == o {
		stored := *o
		stored.Version = c.FromVersion + 1 // as the store sets it
		o = &stored
	}
	ans, err := newAnswer(a.status, o, a.err)
	if err != nil {
		return err
	}
	c.Idempotency = ans.write(a.claim)
	if err := s.Apply(ctx, c); err != nil {
		return err
	}
	a.claim.stored = &ans
	return nil
}

// pin stores basis as what every later run of k's request starts from,
// with notes, before the request does what may not be done twice. Without
// a key it writes the notes alone, best-effort, as notes are.
func (p *Processor) pin(ctx context.Context, k *keyClaim, basis any, notes []Note) error {
	if k == nil {
		p.writeNotes(ctx, notes)
		return nil
	}
	b, err := json.Marshal(basis)
	if err != nil {
		return WrapError(KindInternal, err, "encoding what the request pins")
	}
	if err := p.Store.Apply(ctx, &Change{Notes: notes, Idempotency: &IdempotencyWrite{Key: k.key, Token: k.token, Basis: b}}); err != nil {
		return err
	}
	k.basis = b
	return nil
}
