package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

// The idempotency keys' part of the suite: what Processor.Refund and
// CreateOrder rely on to run a keyed request once, on one instance or
// several.

// claimAt claims key for token at at, with a lease of a minute, and
// returns the record as stored after.
func claimAt(t *testing.T, s payresult.Store, key, fingerprint, token string, at time.Time) *payresult.IdempotencyRecord {
	t.Helper()
	rec, err := s.ClaimIdempotencyKey(context.Background(), payresult.IdempotencyClaim{
		Key: key, Fingerprint: fingerprint, Token: token, Now: at, LeaseUntil: at.Add(time.Minute),
	})
	if err != nil {
		t.Fatalf("ClaimIdempotencyKey(%q, %q): %v", key, token, err)
	}
	return rec
}

// answerWrite is the write that answers key under token.
func answerWrite(key, token string, body string) *payresult.IdempotencyWrite {
	return &payresult.IdempotencyWrite{Key: key, Token: token, Status: 200, Body: []byte(body)}
}

func testIdempotencyClaimNew(t *testing.T, s payresult.Store) {
	got := claimAt(t, s, "key-1", "fp-1", "tok-a", base)
	diff(t, "new record", got, &payresult.IdempotencyRecord{
		Key: "key-1", Fingerprint: "fp-1", CreatedAt: base, Token: "tok-a", LeaseUntil: at(time.Minute),
	})
}

// testIdempotencyClaimHeld checks that a held key stays with its holder:
// another claim, of the same request or of another, gets the record as
// it is.
func testIdempotencyClaimHeld(t *testing.T, s payresult.Store) {
	first := claimAt(t, s, "key-1", "fp-1", "tok-a", base)
	for _, tt := range []struct{ name, fingerprint string }{{"same request", "fp-1"}, {"another request", "fp-2"}} {
		got := claimAt(t, s, "key-1", tt.fingerprint, "tok-b", at(time.Minute-time.Microsecond))
		diff(t, "record claimed by "+tt.name+" while held", got, first)
	}
}

// testIdempotencyTakeOver checks that a claim whose lease has ended is
// taken over by the same request, keeping the basis its holder pinned
// and the key's first use, and that the old holder's writes are then
// refused.
func testIdempotencyTakeOver(t *testing.T, s payresult.Store) {
	claimAt(t, s, "key-1", "fp-1", "tok-a", base)
	apply(t, s, &payresult.Change{Idempotency: &payresult.IdempotencyWrite{Key: "key-1", Token: "tok-a", Basis: []byte(`{"pinned":1}`)}})

	other := claimAt(t, s, "key-1", "fp-2", "tok-x", at(time.Minute))
	if other.Token != "tok-a" || other.Fingerprint != "fp-1" {
		t.Errorf("another request's claim after the lease: token %q, fingerprint %q; want the record untouched (tok-a, fp-1)", other.Token, other.Fingerprint)
	}
	got := claimAt(t, s, "key-1", "fp-1", "tok-b", at(time.Minute))
	diff(t, "record taken over when the lease ended", got, &payresult.IdempotencyRecord{
		Key: "key-1", Fingerprint: "fp-1", CreatedAt: base, Token: "tok-b",
		LeaseUntil: at(2 * time.Minute), Basis: []byte(`{"pinned":1}`),
	})
	err := s.Apply(context.Background(), &payresult.Change{Idempotency: answerWrite("key-1", "tok-a", `{}`)})
	wantKind(t, "the old holder's answer", err, payresult.KindIdempotencyKeyInUse)
}

// testIdempotencyRelease checks that a released key is taken over at
// once, with its basis, and that only its holder can release it.
func testIdempotencyRelease(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	claimAt(t, s, "key-1", "fp-1", "tok-a", base)
	apply(t, s, &payresult.Change{Idempotency: &payresult.IdempotencyWrite{Key: "key-1", Token: "tok-a", Basis: []byte("b")}})
	if err := s.ReleaseIdempotencyKey(ctx, "key-1", "tok-x"); err != nil {
		t.Fatalf("ReleaseIdempotencyKey with another token: %v", err)
	}
	if got := claimAt(t, s, "key-1", "fp-1", "tok-b", at(time.Second)); got.Token != "tok-a" {
		t.Errorf("claim after a release by another token: held by %q, want tok-a", got.Token)
	}
	if err := s.ReleaseIdempotencyKey(ctx, "key-1", "tok-a"); err != nil {
		t.Fatalf("ReleaseIdempotencyKey: %v", err)
	}
	got := claimAt(t, s, "key-1", "fp-1", "tok-b", at(2*time.Second))
	if got.Token != "tok-b" || string(got.Basis) != "b" || !got.CreatedAt.Equal(base) {
		t.Errorf("claim after the release: token %q, basis %q, created %v; want tok-b, b, %v", got.Token, got.Basis, got.CreatedAt, base)
	}
}

// testIdempotencyAnswer checks that an answer is stored with the change
// it answers, byte for byte, and is final: no claim takes it over, no
// release undoes it, and no second answer replaces it.
func testIdempotencyAnswer(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	claimAt(t, s, "key-1", "fp-1", "tok-a", base)
	body := "{\"order\": \"m-1\",\n \"status\": \"paid\"}\n\x00\xff"
	c := paid(o, "imp_1")
	c.Idempotency = answerWrite("key-1", "tok-a", body)
	apply(t, s, c)
	if got := mustOrder(t, s, "m-1"); got.Status != payresult.StatusPaid {
		t.Errorf("order after the answering change: %s, want paid", got.Status)
	}
	if err := s.ReleaseIdempotencyKey(ctx, "key-1", "tok-a"); err != nil {
		t.Fatalf("ReleaseIdempotencyKey: %v", err)
	}
	got := claimAt(t, s, "key-1", "fp-1", "tok-b", at(time.Hour))
	diff(t, "answered record", got, &payresult.IdempotencyRecord{
		Key: "key-1", Fingerprint: "fp-1", CreatedAt: base, Token: "tok-a",
		LeaseUntil: at(time.Minute), Status: 200, Body: []byte(body),
	})

	again := paid(mustOrder(t, s, "m-1"), "imp_1")
	again.Order.Status = payresult.StatusRefunded
	again.Events = nil
	again.Idempotency = answerWrite("key-1", "tok-a", `{"second":true}`)
	wantKind(t, "a second answer", s.Apply(ctx, again), payresult.KindIdempotencyKeyInUse)
	if got := mustOrder(t, s, "m-1"); got.Status != payresult.StatusPaid || got.Version != 2 {
		t.Errorf("order after a refused second answer: %s at version %d, want paid at 2", got.Status, got.Version)
	}
}

// testIdempotencyAnswerAtomic checks that the answer and its change are
// one: a change refused by its compare-and-set stores no answer, and an
// answer refused for a lost claim stores none of its change.
func testIdempotencyAnswerAtomic(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	claimAt(t, s, "key-1", "fp-1", "tok-a", base)

	stale := paid(o, "imp_1")
	stale.FromVersion = 7
	stale.Idempotency = answerWrite("key-1", "tok-a", `{"stale":true}`)
	wantKind(t, "a stale change with its answer", s.Apply(ctx, stale), payresult.KindConflict)
	if got := claimAt(t, s, "key-1", "fp-1", "tok-b", at(time.Second)); got.Status != 0 || got.Token != "tok-a" {
		t.Errorf("record after a refused change: status %d, token %q; want unanswered, held by tok-a", got.Status, got.Token)
	}

	lost := paid(o, "imp_1")
	lost.Idempotency = answerWrite("key-1", "tok-b", `{"lost":true}`)
	wantKind(t, "a change answering a key it does not hold", s.Apply(ctx, lost), payresult.KindIdempotencyKeyInUse)
	if got := mustOrder(t, s, "m-1"); got.Version != 1 || got.Status != payresult.StatusPending {
		t.Errorf("order after a refused answer: %s at version %d, want pending at 1", got.Status, got.Version)
	}
	if evs, err := s.OrderEvents(ctx, "m-1"); err != nil || len(evs) != 0 {
		t.Errorf("events after a refused answer: %v, %v; want none", eventIDs(evs), err)
	}
	if _, err := s.OrderByImpUID(ctx, "imp_1"); !payresult.IsNotFound(err) {
		t.Errorf("OrderByImpUID after a refused answer: %v, want not found", err)
	}
}

// testIdempotencyApplyMany checks that answers in one group are stored
// with their changes, and answered change by change: a lost claim
// refuses its change alone.
func testIdempotencyApplyMany(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	for _, group := range []struct {
		first, n, lost int // lost: the change whose claim is lost; -1 for none
	}{{0, 3, -1}, {3, 3, 4}} {
		var cs []*payresult.Change
		for i := group.first; i < group.first+group.n; i++ {
			o := create(t, s, newOrder(uid(i)))
			key := fmt.Sprintf("key-%d", i)
			claimAt(t, s, key, "fp", "tok", base)
			c := paid(o, fmt.Sprintf("imp_%d", i))
			c.Idempotency = answerWrite(key, "tok", key)
			if i == group.lost {
				c.Idempotency.Token = "not-the-holder"
			}
			cs = append(cs, c)
		}
		errs := s.ApplyMany(ctx, cs)
		for j, err := range errs {
			i := group.first + j
			want := payresult.ErrorKind("")
			if i == group.lost {
				want = payresult.KindIdempotencyKeyInUse
			}
			wantKind(t, fmt.Sprintf("change %d", i), err, want)
			rec := claimAt(t, s, fmt.Sprintf("key-%d", i), "fp", "tok-later", at(time.Hour))
			answered := rec.Status == 200 && string(rec.Body) == fmt.Sprintf("key-%d", i)
			if paid := mustOrder(t, s, uid(i)).Status == payresult.StatusPaid; answered != (i != group.lost) || paid != (i != group.lost) {
				t.Errorf("change %d: answered %t, order paid %t; want both %t", i, answered, paid, i != group.lost)
			}
		}
	}
}

// testIdempotencyClaimConcurrent checks that of concurrent claims of one
// key exactly one holds it.
func testIdempotencyClaimConcurrent(t *testing.T, s payresult.Store) {
	const n = 16
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		held  = make(chan string, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			token := fmt.Sprintf("tok-%d", i)
			rec, err := s.ClaimIdempotencyKey(context.Background(), payresult.IdempotencyClaim{
				Key: "key-1", Fingerprint: "fp-1", Token: token, Now: base, LeaseUntil: at(time.Minute),
			})
			if err != nil {
				t.Errorf("ClaimIdempotencyKey: %v", err)
				return
			}
			if rec.Token == token {
				held <- token
			}
		}()
	}
	close(start)
	wg.Wait()
	close(held)
	var holders []string
	for h := range held {
		holders = append(holders, h)
	}
	if len(holders) != 1 {
		t.Errorf("%d concurrent claims: held by %v, want exactly one", n, holders)
	}
}

// testIdempotencyPrune checks that pruning deletes the records created
// before the cutoff, oldest first, up to the limit, and that a pruned key
// is new again.
func testIdempotencyPrune(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	for i, created := range []time.Time{base, at(time.Hour), at(23 * time.Hour), at(25 * time.Hour)} {
		claimAt(t, s, fmt.Sprintf("key-%d", i), "fp", "tok", created)
	}
	cutoff := at(23 * time.Hour)
	if n, err := s.PruneIdempotencyKeys(ctx, cutoff, 1); err != nil || n != 1 {
		t.Fatalf("PruneIdempotencyKeys(limit 1) = %d, %v; want 1", n, err)
	}
	if got := claimAt(t, s, "key-0", "fp-new", "tok-new", at(26*time.Hour)); got.Token != "tok-new" {
		t.Errorf("the oldest key after pruning one: held by %q, want it new again", got.Token)
	}
	if got := claimAt(t, s, "key-1", "fp-new", "tok-new", at(26*time.Hour)); got.Fingerprint != "fp" {
		t.Errorf("the second oldest key after pruning one: fingerprint %q, want it kept", got.Fingerprint)
	}
	if n, err := s.PruneIdempotencyKeys(ctx, cutoff, 10); err != nil || n != 1 {
		t.Errorf("PruneIdempotencyKeys = %d, %v; want the one left before the cutoff", n, err)
	}
	for i, want := range []string{"fp-new", "fp-new", "fp", "fp"} {
		if got := claimAt(t, s, fmt.Sprintf("key-%d", i), "fp-new", "tok-new", at(26*time.Hour)); got.Fingerprint != want {
			t.Errorf("key-%d after pruning: fingerprint %q, want %q", i, got.Fingerprint, want)
		}
	}
	_, err := s.PruneIdempotencyKeys(ctx, cutoff, 0)
	wantKind(t, "PruneIdempotencyKeys(limit 0)", err, payresult.KindInvalid)
}

// testIdempotencyInvalid checks that a claim or a write no store could
// keep is refused as invalid and writes nothing.
func testIdempotencyInvalid(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	_, err := s.ClaimIdempotencyKey(ctx, payresult.IdempotencyClaim{Key: "key-1", Fingerprint: "fp", Now: base, LeaseUntil: at(time.Minute)})
	wantKind(t, "a claim without a token", err, payresult.KindInvalid)
	claimAt(t, s, "key-1", "fp", "tok", base)
	for name, w := range map[string]*payresult.IdempotencyWrite{
		"without a token":          {Key: "key-1", Status: 200, Body: []byte("{}")},
		"neither basis nor answer": {Key: "key-1", Token: "tok"},
		"an answer without a body": {Key: "key-1", Token: "tok", Status: 200},
		"an answer of no status":   {Key: "key-1", Token: "tok", Status: 42, Body: []byte("{}")},
		"a body without an answer": {Key: "key-1", Token: "tok", Basis: []byte("b"), Body: []byte("{}")},
	} {
		wantKind(t, "a write "+name, s.Apply(ctx, &payresult.Change{Idempotency: w}), payresult.KindInvalid)
	}
	if got := claimAt(t, s, "key-1", "fp", "tok-b", at(time.Hour)); got.Status != 0 || got.Basis != nil || !bytes.Equal(got.Body, nil) {
		t.Errorf("record after refused writes: %+v, want unanswered without a basis", got)
	}
}
