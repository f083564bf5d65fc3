package payresult_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/payresult/payresult/portone"
)

// fakePortOne is an in-process payresult.Gateway for the processor tests
// that need to put PortOne in states a real payment flow cannot reach
// (a payment whose merchant_uid changes, a lost cancel answer, an outage
// on one call). It keeps PortOne's rules that payresult relies on: the
// cancel checksum, the "already fully cancelled" refusal, prepare
// duplicates. Tests of the real flow use the emulator instead.
type fakePortOne struct {
	mu       sync.Mutex
	payments map[string]*portone.Payment // by imp_uid
	prepared map[string]portone.Amount   // by merchant_uid
	cancels  map[string]int              // successful cancels by imp_uid
	calls    map[string]int              // calls by method

	// down makes every call fail as if PortOne were unreachable.
	down bool
	// cancelDown makes only Cancel fail as unreachable, without cancelling.
	cancelDown bool
	// loseCancelAnswer makes Cancel cancel and then fail as unreachable,
	// as when PortOne's answer is lost on the way back.
	loseCancelAnswer bool
}

func newFakePortOne() *fakePortOne {
	return &fakePortOne{
		payments: map[string]*portone.Payment{},
		prepared: map[string]portone.Amount{},
		cancels:  map[string]int{},
		calls:    map[string]int{},
	}
}

var errUnreachable = &portone.Error{HTTPStatus: http.StatusServiceUnavailable, Message: "service unavailable", Endpoint: "fake"}

func notFound(what string) error {
	return &portone.Error{HTTPStatus: http.StatusNotFound, Code: -1, Message: portone.MsgPaymentNotFound, Endpoint: what}
}

// put stores a copy of p as PortOne's payment.
func (f *fakePortOne) put(p *portone.Payment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *p
	f.payments[p.ImpUID] = &c
}

// get returns a copy of PortOne's payment impUID.
func (f *fakePortOne) get(impUID string) *portone.Payment {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *f.payments[impUID]
	return &c
}

func (f *fakePortOne) set(fn func(f *fakePortOne)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakePortOne) cancelCount(impUID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cancels[impUID]
}

func (f *fakePortOne) callCount(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakePortOne) Payment(_ context.Context, impUID string, includeSandbox bool) (*portone.Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Payment"]++
	if f.down {
		return nil, errUnreachable
	}
	p, ok := f.payments[impUID]
	if !ok || (p.Sandbox && !includeSandbox) {
		return nil, notFound("GET /payments/" + impUID)
	}
	c := *p
	return &c, nil
}

func (f *fakePortOne) FindPayment(_ context.Context, merchantUID string, status portone.Status) (*portone.Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["FindPayment"]++
	if f.down {
		return nil, errUnreachable
	}
	var found []*portone.Payment
	for _, p := range f.payments {
		if p.MerchantUID == merchantUID && (status == "" || p.Status == status) {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return nil, notFound("GET /payments/find/" + merchantUID)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].StartedAt > found[j].StartedAt })
	c := *found[0]
	return &c, nil
}

func (f *fakePortOne) Prepare(_ context.Context, merchantUID string, amount portone.Amount, currency string) (*portone.Prepared, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Prepare"]++
	if f.down {
		return nil, errUnreachable
	}
	if have, ok := f.prepared[merchantUID]; ok && have != amount {
		return nil, &portone.Error{HTTPStatus: http.StatusOK, Code: 1, Message: portone.MsgPrepareDuplicate, Endpoint: "POST /payments/prepare"}
	}
	f.prepared[merchantUID] = amount
	return &portone.Prepared{MerchantUID: merchantUID, Amount: amount, Currency: currency}, nil
}

func (f *fakePortOne) Cancel(_ context.Context, req *portone.CancelRequest) (*portone.Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Cancel"]++
	if f.down || f.cancelDown {
		return nil, errUnreachable
	}
	refuse := func(msg string) error {
		return &portone.Error{HTTPStatus: http.StatusOK, Code: 1, Message: msg, Endpoint: "POST /payments/cancel"}
	}
	p, ok := f.payments[req.ImpUID]
	switch {
	case !ok:
		return nil, refuse(portone.MsgCancelNotFound)
	case p.CancelAmount.Cmp(p.Amount) >= 0:
		return nil, refuse(portone.MsgAlreadyCancelled)
	case req.Checksum != nil && *req.Checksum != p.Cancellable():
		return nil, refuse(portone.MsgChecksumMismatch)
	}
	amount := p.Cancellable()
	if req.Amount != nil && !req.Amount.IsZero() {
		amount = *req.Amount
	}
	if amount.Cmp(p.Cancellable()) > 0 {
		return nil, refuse(portone.MsgCancelExceeds)
	}
	p.CancelAmount = p.CancelAmount.Add(amount)
	p.Status = portone.StatusCancelled
	p.CancelReason = portone.NewNullString(req.Reason)
	p.CancelledAt = portone.TimeOf(time.Now())
	p.CancelHistory = append(p.CancelHistory, portone.Cancellation{Amount: amount, Reason: req.Reason,
		CancellationID: fmt.Sprintf("cxl_%d", len(p.CancelHistory)+1)})
	f.cancels[req.ImpUID]++
	if f.loseCancelAnswer {
		return nil, errUnreachable
	}
	c := *p
	return &c, nil
}
