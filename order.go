// Package payresult turns PortOne's untrusted payment signals (the browser
// redirect, the webhook, a reconciler's look-up) into verified, durable,
// exactly-once order state.
//
// Every signal goes through [Processor.Confirm], which looks the payment up
// at PortOne, checks it against the merchant's own [Order], and applies the
// resulting transition with a compare-and-set in one [Store] transaction
// that also records the payment attempt and appends the events for the app.
package payresult

import (
	"time"

	"github.com/payresult/payresult/portone"
)

// Status is the state of an order in payresult. It moves forward only; see
// CanTransition.
type Status string

// Order states. Final states are paid (until refunded), failed (until a
// later attempt is paid), forged, expired, partially_refunded and refunded.
const (
	StatusPending           Status = "pending"            // registered, no verified result yet
	StatusVbankIssued       Status = "vbank_issued"       // virtual account issued, waiting for the deposit
	StatusPaid              Status = "paid"               // verified paid: fulfil
	StatusFailed            Status = "failed"             // the attempt failed; a later one may still pay
	StatusForged            Status = "forged"             // paid with the wrong amount or currency: never fulfil
	StatusExpired           Status = "expired"            // virtual account deadline passed without a deposit
	StatusPartiallyRefunded Status = "partially_refunded" // paid, then part of it cancelled
	StatusRefunded          Status = "refunded"           // paid, then cancelled in full
)

// Statuses lists every order status in lifecycle order.
var Statuses = []Status{
	StatusPending, StatusVbankIssued, StatusPaid, StatusFailed, StatusForged,
	StatusExpired, StatusPartiallyRefunded, StatusRefunded,
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// transitions lists, for each status, the statuses it may move to.
// Anything else is a backward or sideways move and is refused. An order
// whose payment was paid and already cancelled by the time payresult first
// saw it moves straight to partially_refunded or refunded.
var transitions = map[Status][]Status{
	StatusPending:           {StatusPaid, StatusVbankIssued, StatusFailed, StatusForged, StatusExpired, StatusPartiallyRefunded, StatusRefunded},
	StatusVbankIssued:       {StatusPaid, StatusExpired, StatusForged, StatusFailed, StatusPartiallyRefunded, StatusRefunded},
	StatusFailed:            {StatusPaid, StatusVbankIssued, StatusForged, StatusPartiallyRefunded, StatusRefunded},
	StatusPaid:              {StatusPartiallyRefunded, StatusRefunded},
	StatusPartiallyRefunded: {StatusPartiallyRefunded, StatusRefunded},
	StatusForged:            {},
	StatusExpired:           {StatusPaid, StatusForged}, // money PortOne took after payresult's deadline
	StatusRefunded:          {},
}

// CanTransition reports whether an order may move from one status to
// another. A partially refunded order may move to partially refunded again
// (a second partial refund changes the refunded amount).
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Settled reports whether s needs no further checks by the reconciler.
// A forged order is settled only once its payment has been cancelled at
// PortOne; see Order.NeedsCheck.
func (s Status) Settled() bool {
	switch s {
	case StatusPending, StatusVbankIssued:
		return false
	}
	return true
}

// API is the PortOne API an order's payments are made and verified
// through: V1 (iamport) or V2. One payresult serves both at once.
type API string

// The PortOne APIs.
const (
	APIV1 API = "v1"
	APIV2 API = "v2"
)

// Valid reports whether a is a known API.
func (a API) Valid() bool { return a == APIV1 || a == APIV2 }

// Order is what the merchant sells: payresult's record of one merchant_uid
// and everything verified about it.
type Order struct {
	MerchantUID string `json:"merchant_uid"`
	// API is the PortOne API the order was registered for. Under V2 the
	// merchant_uid is PortOne's paymentId, and ImpUID is the paymentId
	// too (V2 names a payment by the merchant's id). Empty means APIV1,
	// as for orders stored before V2 was served.
	API      API            `json:"api,omitempty"`
	Name     string         `json:"name"`
	Amount   portone.Amount `json:"amount"`
	Currency string         `json:"currency"`
	Status   Status         `json:"status"`

	// ImpUID is the PortOne payment that decided the current status (the
	// paid, issued, failed or forged attempt). Empty while pending.
	ImpUID string `json:"imp_uid,omitempty"`
	// PaidAmount is what PortOne says was paid by ImpUID.
	PaidAmount portone.Amount `json:"paid_amount"`
	// RefundedAmount is PortOne's cancel_amount for ImpUID: the refund state
	// comes from it, never from PortOne's status alone.
	RefundedAmount portone.Amount `json:"refunded_amount"`
	// FailReason is PortOne's fail_reason (or the redirect's error_msg) of the
	// last failed attempt, shown to the buyer.
	FailReason string `json:"fail_reason,omitempty"`

	// Vbank holds the virtual account while one is issued (and after).
	Vbank *VirtualAccount `json:"vbank,omitempty"`

	// ForgeryCancelled is set once PortOne has confirmed the cancel of a
	// forged payment. Until then the reconciler keeps retrying it.
	ForgeryCancelled bool `json:"forgery_cancelled,omitempty"`

	SuccessURL string `json:"success_url,omitempty"`
	FailURL    string `json:"fail_url,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	PaidAt    time.Time `json:"paid_at,omitzero"`
	// NextCheckAt is when the reconciler should look at the order again;
	// zero when it needs no more checks.
	NextCheckAt time.Time `json:"next_check_at,omitzero"`
	// Checks counts reconciler look-ups, for its backoff schedule.
	Checks int `json:"checks"`

	// Version increases by one on every stored change; stores update an
	// order only when the version they read is still current.
	Version int64 `json:"version"`
}

// PortOneAPI returns the API of o: API, or APIV1 when it is empty.
func (o *Order) PortOneAPI() API {
	if o.API == "" {
		return APIV1
	}
	return o.API
}

// NeedsCheck reports whether the reconciler still has work on o: a result
// that is not final, or a forged payment not yet cancelled at PortOne.
func (o *Order) NeedsCheck() bool {
	if o.Status == StatusForged {
		return !o.ForgeryCancelled
	}
	return !o.Status.Settled()
}

// VirtualAccount is the bank account a buyer must pay into.
type VirtualAccount struct {
	BankCode string    `json:"bank_code,omitempty"`
	BankName string    `json:"bank_name"`
	Number   string    `json:"number"`
	Holder   string    `json:"holder,omitempty"`
	Deadline time.Time `json:"deadline"`
	IssuedAt time.Time `json:"issued_at,omitzero"`
}

// Attempt is one PortOne payment (one imp_uid) made for an order. An
// imp_uid belongs to exactly one order for good.
type Attempt struct {
	ImpUID       string            `json:"imp_uid"`
	MerchantUID  string            `json:"merchant_uid"`
	Status       portone.Status    `json:"status"`
	PayMethod    portone.PayMethod `json:"pay_method"`
	PGProvider   string            `json:"pg_provider,omitempty"`
	Amount       portone.Amount    `json:"amount"`
	CancelAmount portone.Amount    `json:"cancel_amount"`
	Currency     string            `json:"currency"`
	Sandbox      bool              `json:"sandbox"`
	FailReason   string            `json:"fail_reason,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}
