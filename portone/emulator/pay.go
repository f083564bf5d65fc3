package emulator

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/payresult/payresult/portone"
)

// PaymentRequest is what IMP.request_pay sends, in Go.
type PaymentRequest struct {
	MerchantUID string
	Name        string
	Amount      portone.Amount
	Currency    string // default KRW
	// PG is request_pay's pg: "html5_inicis" (the default), "kcp.T0000",
	// "tosspayments", "kakaopay", "daou", ... It picks the redirect's
	// success flag and what a user cancel does.
	PG                                                        string
	PayMethod                                                 portone.PayMethod // default card
	BuyerName, BuyerEmail, BuyerTel, BuyerAddr, BuyerPostcode string
	// CustomData is JSON text, stored and returned as a string.
	CustomData string
	// NoticeURLs replace the console webhook URL for this payment.
	NoticeURLs []string
	// RedirectURL is m_redirect_url.
	RedirectURL string
	// VbankDue is the deposit deadline; zero means three days, 23:59:59 KST.
	VbankDue  time.Time
	Mobile    bool
	UserAgent string
}

// Outcome is what the buyer does in the payment window.
type Outcome string

// The outcomes the window offers.
const (
	OutcomePaid            Outcome = "paid"              // approved
	OutcomeFailed          Outcome = "failed"            // declined by the PG
	OutcomeCancelledByUser Outcome = "cancelled_by_user" // closed the window: failed or ready per PG
	OutcomeVbankIssued     Outcome = "vbank_issued"      // virtual account issued, status ready
	OutcomeAbandoned       Outcome = "abandoned"         // left: stays ready, no redirect
)

// Valid reports whether o is one of the five outcomes.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomePaid, OutcomeFailed, OutcomeCancelledByUser, OutcomeVbankIssued, OutcomeAbandoned:
		return true
	}
	return false
}

// Result is how a payment flow ended.
type Result struct {
	// Payment is the payment as the ledger holds it; nil when the request
	// was refused before the window opened.
	Payment *portone.Payment
	// RedirectURL is the exact URL the browser is sent to; "" when none
	// (abandoned, or no m_redirect_url).
	RedirectURL string
	// RedirectMethod is GET, or POST when the redirect-POST fault is on.
	RedirectMethod string
	// Success, ErrorCode and ErrorMsg are what the callback and the
	// redirect report.
	Success             bool
	ErrorCode, ErrorMsg string
	// Webhooks is closed when this flow's webhook deliveries have ended.
	Webhooks <-chan struct{}

	release func()
}

// Release lets a webhook held by the redirect_first order go. Over HTTP
// the emulator calls it once the redirect is answered; callers of Pay
// call it when they have followed RedirectURL. It is safe to call twice.
func (r *Result) Release() {
	if r.release != nil {
		r.release()
	}
}

// ErrRefused is what Pay's error wraps when PortOne refuses the request
// before any payment exists (bad parameters, merchant_uid already paid,
// amount differs from the prepared one, unknown PG).
var ErrRefused = errors.New("emulator: payment request refused")

// Pay runs a whole payment flow without a browser: the window opens (a
// ready payment with started_at), the buyer picks outcome, and the
// webhook and the redirect happen as PortOne does them. A refused request
// returns a Result whose RedirectURL has an empty imp_uid, and an error
// wrapping ErrRefused.
func (e *Emulator) Pay(req PaymentRequest, outcome Outcome) (*Result, error) {
	if !outcome.Valid() {
		return nil, fmt.Errorf("emulator: unknown outcome %q", outcome)
	}
	impUID, refusal, err := e.open(req, modeRedirect)
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return refusal, fmt.Errorf("%w: %s", ErrRefused, refusal.ErrorMsg)
	}
	return e.finish(impUID, outcome)
}

// refused is the answer to a request that pre-validation stops: the SDK's
// own imp_success=false with an empty imp_uid, whatever the PG.
func refused(req PaymentRequest, msg string) *Result {
	p := redirectParams{merchantUID: req.MerchantUID, flavour: FlavourImpSuccess, errorMsg: msg}
	return &Result{RedirectURL: redirectURL(req.RedirectURL, p, false), RedirectMethod: "GET", ErrorMsg: msg, Webhooks: closedChan()}
}

func closedChan() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// open validates req as PortOne does before the window opens and, if it
// passes, records a ready payment. It returns the new imp_uid, or the
// refusal, or the Storage's failure.
func (e *Emulator) open(req PaymentRequest, mode string) (string, *Result, error) {
	prof, mid, ok := lookupPG(req.PG)
	switch {
	case !ok:
		return "", refused(req, portone.MsgPayUnknownPG), nil
	case req.MerchantUID == "" || len(req.MerchantUID) > maxMerchantUID || req.Amount.Sign() <= 0:
		return "", refused(req, portone.MsgPayBadParams), nil
	}
	if req.Currency == "" {
		req.Currency = "KRW"
	}
	if err := checkAmount("amount", req.Amount, req.Currency); err != nil {
		return "", refused(req, portone.MsgPayBadParams+" ("+err.Error()+")"), nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ledger.paidAttempt(req.MerchantUID) != nil {
		return "", refused(req, portone.MsgPayAlreadyPaid), nil
	}
	if prep, ok := e.ledger.prepared[req.MerchantUID]; ok &&
		(prep.Amount != req.Amount || (prep.Currency != "" && prep.Currency != req.Currency)) {
		return "", refused(req, portone.MsgPayAmountMismatch), nil
	}
	p := e.readyPayment(req, prof, mid)
	r := &record{hook: e.defaultHookTarget(), redirect: redirectTarget{url: req.RedirectURL, mode: mode, mobile: req.Mobile, pg: prof}}
	if len(req.NoticeURLs) > 0 {
		r.hook.urls = append([]string(nil), req.NoticeURLs...)
	}
	r.dueAt = req.VbankDue
	if err := e.insert(r, p); err != nil {
		return "", nil, err
	}
	return r.p.ImpUID, nil, nil
}

// readyPayment is the record PortOne creates when the window opens.
// Callers hold mu.
func (e *Emulator) readyPayment(req PaymentRequest, prof pgProfile, mid string) portone.Payment {
	channel := "pc"
	if req.Mobile {
		channel = "mobile"
	}
	opt := func(s string) portone.NullString {
		if s == "" {
			return portone.NullString{}
		}
		return portone.NewNullString(s)
	}
	p := portone.Payment{
		MerchantUID: req.MerchantUID, Amount: req.Amount, Currency: req.Currency,
		Name: opt(req.Name), PayMethod: req.PayMethod, PGProvider: portone.NewNullString(prof.provider),
		PGID: portone.NewNullString(mid), Channel: portone.NewNullString(channel),
		BuyerName: opt(req.BuyerName), BuyerEmail: opt(req.BuyerEmail), BuyerTel: opt(req.BuyerTel),
		BuyerAddr: opt(req.BuyerAddr), BuyerPostcode: opt(req.BuyerPostcode), CustomData: opt(req.CustomData),
		UserAgent: opt(req.UserAgent), StartedAt: e.nowUnix(), Status: portone.StatusReady, Sandbox: e.cfg.Sandbox,
	}
	normalize(&p)
	return p
}

// errNotInWindow is finish's answer for a payment whose window is not
// open: unknown, already finished, or no longer ready.
var errNotInWindow = errors.New("emulator: no payment waiting in a window")

// finish applies outcome to the ready payment impUID, then sends its
// webhook and builds its redirect in the order the faults ask for.
func (e *Emulator) finish(impUID string, outcome Outcome) (*Result, error) {
	e.mu.Lock()
	r, ok := e.ledger.byImpUID[impUID]
	if !ok || r.redirect.done || r.p.Status != portone.StatusReady {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", errNotInWindow, impUID)
	}
	p := clonePayment(r.p)
	res := e.applyOutcome(r, &p, outcome)
	err := e.update(r, p, func(r *record) { r.redirect.done = true })
	hook, target := r.hook, r.redirect
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}

	res.Payment = &p
	f := e.Faults()
	res.RedirectMethod = "GET"
	if f.RedirectPOST {
		res.RedirectMethod = "POST"
	}
	if outcome != OutcomeAbandoned {
		params := redirectParams{impUID: p.ImpUID, merchantUID: p.MerchantUID, success: res.Success,
			flavour: target.pg.flag(target.mobile, f.RedirectFlavour), errorCode: res.ErrorCode, errorMsg: res.ErrorMsg}
		res.RedirectURL = redirectURL(target.url, params, f.RedirectPOST || f.RedirectDuplicateMerchantUID)
	}
	res.Webhooks = closedChan()
	if outcome == OutcomePaid || outcome == OutcomeVbankIssued {
		e.sendOrdered(res, hook, notice{ImpUID: p.ImpUID, MerchantUID: p.MerchantUID, Status: p.Status}, f.WebhookOrder)
	}
	return res, nil
}

// sendOrdered sends a flow's webhook in the order asked for.
func (e *Emulator) sendOrdered(res *Result, hook webhookTarget, n notice, order WebhookOrder) {
	switch order {
	case OrderWebhookFirst:
		res.Webhooks = e.hooks.send(hook, n, nil)
		<-res.Webhooks
	case OrderRedirectFirst:
		gate := make(chan struct{})
		var once sync.Once
		res.release = func() { once.Do(func() { close(gate) }) }
		res.Webhooks = e.hooks.send(hook, n, gate)
	default:
		res.Webhooks = e.hooks.send(hook, n, nil)
	}
}
