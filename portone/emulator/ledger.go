package emulator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/payresult/payresult/portone"
)

// record is one payment attempt as the emulator keeps it.
type record struct {
	p    portone.Payment
	wire []byte // p as PortOne writes it; rebuilt on every change
	seq  uint64 // creation order, the tie-breaker of every sort
	// updated is when the status last changed, for sorting=-updated.
	updated portone.Time
	// hook is where this payment's webhooks go and how.
	hook webhookTarget
	// redirect is what the window needs to finish the flow.
	redirect redirectTarget
	// dueAt is the vbank_due the request asked for; zero for the default.
	dueAt time.Time
	// apiCancels counts successful cancels through POST /payments/cancel.
	apiCancels int
}

// ledger is the emulator's state. The Emulator's mu guards it.
type ledger struct {
	byImpUID   map[string]*record
	byMerchant map[string][]*record // creation order
	all        []*record            // creation order
	prepared   map[string]portone.Prepared
	seq        uint64

	v2       v2Ledger
	v2tokens v2Tokens
}

func newLedger() ledger {
	return ledger{
		byImpUID:   make(map[string]*record),
		byMerchant: make(map[string][]*record),
		prepared:   make(map[string]portone.Prepared),
		v2:         newV2Ledger(),
		v2tokens:   newV2Tokens(),
	}
}

// setPayment makes p the payment of r, with its wire form and, when the
// status changed, the time of that change.
func (r *record) setPayment(p portone.Payment) {
	if r.wire == nil || r.p.Status != p.Status {
		r.updated = lastChange(&p)
	}
	r.p, r.wire = p, encodePayment(&p)
}

// add indexes r, a record with a new imp_uid and its seq set.
func (l *ledger) add(r *record) {
	l.seq = max(l.seq, r.seq)
	l.byImpUID[r.p.ImpUID] = r
	l.byMerchant[r.p.MerchantUID] = append(l.byMerchant[r.p.MerchantUID], r)
	l.all = append(l.all, r)
}

// replace makes the record r what next is, keeping its place in every
// index.
func (l *ledger) replace(r *record, next record) {
	if r.p.MerchantUID != next.p.MerchantUID {
		list := l.byMerchant[r.p.MerchantUID]
		for i, x := range list {
			if x == r {
				l.byMerchant[r.p.MerchantUID] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		l.byMerchant[next.p.MerchantUID] = append(l.byMerchant[next.p.MerchantUID], r)
	}
	*r = next
}

// insert saves and indexes r holding p, a payment the ledger does not
// have. An empty p.ImpUID gets a fresh id, one that neither the ledger
// nor the Storage has ever held. Callers hold mu.
func (e *Emulator) insert(r *record, p portone.Payment) error {
	fresh := p.ImpUID == ""
	r.seq = e.ledger.seq + 1
	for {
		if fresh {
			p.ImpUID = e.newImpUID()
		}
		r.setPayment(p)
		saved := true
		err := e.persist("saving payment "+p.ImpUID, func(ctx context.Context, s Storage) error {
			var err error
			if fresh {
				saved, err = s.Insert(ctx, kindPayment, p.ImpUID, encodeRecord(r))
				return err
			}
			return s.Put(ctx, kindPayment, p.ImpUID, encodeRecord(r))
		})
		if err != nil {
			return err
		}
		if saved {
			break
		}
		// Another process on the same Storage drew this id: draw again.
	}
	e.ledger.add(r)
	return nil
}

// update saves and applies a change to r: its payment becomes p, and
// change (if not nil) alters the rest of it. Nothing changes when the
// Storage fails. Callers hold mu.
func (e *Emulator) update(r *record, p portone.Payment, change func(*record)) error {
	next := *r
	next.setPayment(p)
	if change != nil {
		change(&next)
	}
	if err := e.persist("saving payment "+p.ImpUID, func(ctx context.Context, s Storage) error {
		return s.Put(ctx, kindPayment, p.ImpUID, encodeRecord(&next))
	}); err != nil {
		return err
	}
	e.ledger.replace(r, next)
	return nil
}

// lastChange is the latest time recorded on p.
func lastChange(p *portone.Payment) portone.Time {
	t := p.StartedAt
	for _, x := range []portone.Time{p.PaidAt, p.FailedAt, p.CancelledAt, p.VbankIssuedAt} {
		t = max(t, x)
	}
	return t
}

// paidAttempt returns the attempt of merchantUID that a new payment
// request must not repeat: one that is paid.
func (l *ledger) paidAttempt(merchantUID string) *record {
	for _, r := range l.byMerchant[merchantUID] {
		if r.p.Status == portone.StatusPaid {
			return r
		}
	}
	return nil
}

// newImpUID returns an unused "imp_" + 12 digits id. Callers hold mu.
func (e *Emulator) newImpUID() string {
	for {
		id := fmt.Sprintf("imp_%012d", e.rng.Int64N(1e12))
		if _, taken := e.ledger.byImpUID[id]; !taken {
			return id
		}
	}
}

// digits returns n random decimal digits. Callers hold mu.
func (e *Emulator) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + e.rng.IntN(10)))
	}
	return b.String()
}

// alnum returns n random upper-case letters and digits. Callers hold mu.
func (e *Emulator) alnum(n int) string {
	const set = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, n)
	for i := range b {
		b[i] = set[e.rng.IntN(len(set))]
	}
	return string(b)
}

// normalize fills what PortOne never leaves out: cancel lists are [] and
// the currency is set. deposit_history stays absent unless there were
// deposits into a fixed virtual account.
func normalize(p *portone.Payment) {
	if p.CancelHistory == nil {
		p.CancelHistory = []portone.Cancellation{}
	}
	if p.CancelReceiptURLs == nil {
		p.CancelReceiptURLs = []string{}
	}
	if p.Currency == "" {
		p.Currency = "KRW"
	}
	if p.PayMethod == "" {
		p.PayMethod = portone.PayMethodCard
	}
}

// ErrInvalidPayment is returned by Put for a payment that PortOne could
// never hold.
var ErrInvalidPayment = errors.New("emulator: invalid payment")

// Put stores p as it is, in any state, replacing the payment with the same
// imp_uid if there is one, and returns what was stored. An empty ImpUID
// gets a new id and an unset StartedAt the current time. No webhook is
// sent: Put is for setting up tests, not for playing a flow.
func (e *Emulator) Put(p portone.Payment) (portone.Payment, error) {
	switch {
	case p.MerchantUID == "":
		return portone.Payment{}, fmt.Errorf("%w: merchant_uid is empty", ErrInvalidPayment)
	case !p.Status.Valid():
		return portone.Payment{}, fmt.Errorf("%w: status %q", ErrInvalidPayment, p.Status)
	case p.Amount.Sign() < 0 || p.CancelAmount.Sign() < 0 || p.CancelAmount.Cmp(p.Amount) > 0:
		return portone.Payment{}, fmt.Errorf("%w: amount %s, cancel_amount %s", ErrInvalidPayment, p.Amount, p.CancelAmount)
	}
	if err := checkAmount("amount", p.Amount, p.Currency); err != nil {
		return portone.Payment{}, fmt.Errorf("%w: %v", ErrInvalidPayment, err)
	}
	if err := checkAmount("cancel_amount", p.CancelAmount, p.Currency); err != nil {
		return portone.Payment{}, fmt.Errorf("%w: %v", ErrInvalidPayment, err)
	}
	if p.StartedAt == 0 {
		p.StartedAt = e.nowUnix()
	}
	p.CancelHistory = append([]portone.Cancellation(nil), p.CancelHistory...)
	normalize(&p)
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.ledger.byImpUID[p.ImpUID]; ok {
		if err := e.update(r, p, nil); err != nil {
			return portone.Payment{}, err
		}
		return clonePayment(r.p), nil
	}
	r := &record{hook: e.defaultHookTarget()}
	if err := e.insert(r, p); err != nil {
		return portone.Payment{}, err
	}
	return clonePayment(r.p), nil
}

// Payment returns the payment with impUID, whatever its sandbox flag.
func (e *Emulator) Payment(impUID string) (*portone.Payment, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	r, ok := e.ledger.byImpUID[impUID]
	if !ok {
		return nil, false
	}
	p := clonePayment(r.p)
	return &p, true
}

// Payments returns the whole ledger in creation order.
func (e *Emulator) Payments() []portone.Payment {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]portone.Payment, len(e.ledger.all))
	for i, r := range e.ledger.all {
		out[i] = clonePayment(r.p)
	}
	return out
}

// CancelCalls returns how many times POST /payments/cancel has
// successfully cancelled (part of) the payment impUID.
func (e *Emulator) CancelCalls(impUID string) int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if r, ok := e.ledger.byImpUID[impUID]; ok {
		return r.apiCancels
	}
	return 0
}

// clonePayment copies p so that callers cannot reach the ledger's slices.
func clonePayment(p portone.Payment) portone.Payment {
	p.CancelHistory = append([]portone.Cancellation{}, p.CancelHistory...)
	p.CancelReceiptURLs = append([]string{}, p.CancelReceiptURLs...)
	if p.DepositHistory != nil {
		p.DepositHistory = append([]portone.Deposit{}, p.DepositHistory...)
	}
	if p.CardType != nil {
		t := *p.CardType
		p.CardType = &t
	}
	if p.Promotion != nil {
		pr := *p.Promotion
		p.Promotion = &pr
	}
	return p
}
