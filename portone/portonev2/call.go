package portonev2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// ErrInput is what a call's error wraps when the client refuses it before
// sending it.
var ErrInput = errors.New("portonev2: invalid input")

func checkPaymentID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: paymentId is empty", ErrInput)
	}
	return nil
}

func (c *Client) storeQuery() url.Values {
	if c.StoreID == "" {
		return nil
	}
	return url.Values{"storeId": {c.StoreID}}
}

// Payment returns the payment paymentID: GET /payments/{paymentId}. An
// unknown payment is an *Error for which IsNotFound is true.
func (c *Client) Payment(ctx context.Context, paymentID string) (*Payment, error) {
	if err := checkPaymentID(paymentID); err != nil {
		return nil, err
	}
	var p Payment
	r := &request{method: "GET", path: "/payments/" + url.PathEscape(paymentID), query: c.storeQuery(), retry: true}
	if err := c.do(ctx, r, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// PaymentFilter narrows GET /payments. Zero fields do not filter.
type PaymentFilter struct {
	StoreID string `json:"storeId,omitempty"`
	// TimestampType picks the time From and Until bound: CREATED_AT (the
	// default) or STATUS_CHANGED_AT.
	TimestampType string    `json:"timestampType,omitempty"`
	From          time.Time `json:"from,omitzero"`
	Until         time.Time `json:"until,omitzero"`
	// Status spells the pending state FilterPending.
	Status     []Status `json:"status,omitempty"`
	Methods    []string `json:"methods,omitempty"` // CARD, VIRTUAL_ACCOUNT, ...
	PgProvider []string `json:"pgProvider,omitempty"`
	IsTest     *bool    `json:"isTest,omitempty"`
	SortBy     string   `json:"sortBy,omitempty"`    // REQUESTED_AT or STATUS_CHANGED_AT
	SortOrder  string   `json:"sortOrder,omitempty"` // DESC or ASC
	Version    string   `json:"version,omitempty"`   // V1 or V2
	Currency   string   `json:"currency,omitempty"`
}

// PageInput asks for a page: Number counts from 0.
type PageInput struct {
	Number int32 `json:"number"`
	Size   int32 `json:"size"`
}

// PageInfo describes the page PortOne answered.
type PageInfo struct {
	Number     int32 `json:"number"`
	Size       int32 `json:"size"`
	TotalCount int32 `json:"totalCount"`
}

// PaymentPage is one page of GET /payments.
type PaymentPage struct {
	Items []Payment `json:"items"`
	Page  PageInfo  `json:"page"`
}

// Payments lists payments: GET /payments, with the filter and page in
// the requestBody query parameter as PortOne's own SDKs send them. The
// client's StoreID applies when the filter names none.
func (c *Client) Payments(ctx context.Context, filter PaymentFilter, page PageInput) (*PaymentPage, error) {
	if filter.StoreID == "" {
		filter.StoreID = c.StoreID
	}
	body, err := json.Marshal(struct {
		Page   PageInput     `json:"page"`
		Filter PaymentFilter `json:"filter"`
	}{page, filter})
	if err != nil {
		return nil, err
	}
	var out PaymentPage
	r := &request{method: "GET", path: "/payments", query: url.Values{"requestBody": {string(body)}}, retry: true}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PreRegistration is the amount a payment must have: PortOne refuses to
// open the payment window for any other.
type PreRegistration struct {
	TotalAmount   int64  // minor units of Currency
	TaxFreeAmount *int64 // nil: none
	Currency      string // KRW, USD, ...
}

// PreRegister registers the amount of paymentID before its window opens:
// POST /payments/{paymentId}/pre-register. A registration can be repeated
// (the last one holds), so the call is retried like a read. A payment
// already paid is an *Error for which IsAlreadyPaid is true.
func (c *Client) PreRegister(ctx context.Context, paymentID string, p PreRegistration) error {
	if err := checkPaymentID(paymentID); err != nil {
		return err
	}
	if p.TotalAmount <= 0 || p.Currency == "" {
		return fmt.Errorf("%w: pre-register needs a positive totalAmount and a currency", ErrInput)
	}
	body := struct {
		StoreID       string `json:"storeId,omitempty"`
		TotalAmount   int64  `json:"totalAmount"`
		TaxFreeAmount *int64 `json:"taxFreeAmount,omitempty"`
		Currency      string `json:"currency"`
	}{c.StoreID, p.TotalAmount, p.TaxFreeAmount, p.Currency}
	r := &request{method: "POST", path: "/payments/" + url.PathEscape(paymentID) + "/pre-register", body: body,
		idempotencyKey: newIdempotencyKey(), retry: true}
	return c.do(ctx, r, nil)
}

// RefundAccount is the buyer's bank account, for refunds of
// virtual-account payments.
type RefundAccount struct {
	Bank              string `json:"bank"` // PortOne's bank code, such as KOOKMIN
	Number            string `json:"number"`
	HolderName        string `json:"holderName"`
	HolderPhoneNumber string `json:"holderPhoneNumber,omitempty"`
}

// CancelRequest is one cancel of a payment.
type CancelRequest struct {
	// Amount to cancel; nil cancels all that remains.
	Amount        *int64
	TaxFreeAmount *int64
	VatAmount     *int64
	Reason        string // required
	// Requester is CUSTOMER or ADMIN; "" leaves it out.
	Requester string
	// CurrentCancellableAmount is the amount the caller believes can still
	// be cancelled (Payment.Cancellable). PortOne refuses the cancel when
	// it differs (IsCancellableAmountMismatch), so a cancel made elsewhere
	// in between is never doubled.
	CurrentCancellableAmount *int64
	RefundAccount            *RefundAccount
	// SkipWebhook asks PortOne not to send a webhook for this cancel.
	SkipWebhook bool
	// IdempotencyKey makes retries of this cancel, by this client or by
	// the caller, safe; "" draws a new one for this call, which the
	// client's own retries reuse.
	IdempotencyKey string
}

// Cancel cancels (part of) paymentID: POST /payments/{paymentId}/cancel.
// It is retried after a failure that leaves its outcome unknown, always
// with the same Idempotency-Key, so that PortOne answers a retry with the
// first attempt's result instead of cancelling again.
func (c *Client) Cancel(ctx context.Context, paymentID string, req CancelRequest) (*Cancellation, error) {
	if err := checkPaymentID(paymentID); err != nil {
		return nil, err
	}
	if req.Reason == "" {
		return nil, fmt.Errorf("%w: a cancel needs a reason", ErrInput)
	}
	if req.Amount != nil && *req.Amount <= 0 {
		return nil, fmt.Errorf("%w: cancel amount %d is not positive", ErrInput, *req.Amount)
	}
	key := req.IdempotencyKey
	if key == "" {
		key = newIdempotencyKey()
	}
	body := struct {
		StoreID                  string         `json:"storeId,omitempty"`
		Amount                   *int64         `json:"amount,omitempty"`
		TaxFreeAmount            *int64         `json:"taxFreeAmount,omitempty"`
		VatAmount                *int64         `json:"vatAmount,omitempty"`
		Reason                   string         `json:"reason"`
		Requester                string         `json:"requester,omitempty"`
		CurrentCancellableAmount *int64         `json:"currentCancellableAmount,omitempty"`
		RefundAccount            *RefundAccount `json:"refundAccount,omitempty"`
		SkipWebhook              bool           `json:"skipWebhook,omitempty"`
	}{c.StoreID, req.Amount, req.TaxFreeAmount, req.VatAmount, req.Reason, req.Requester,
		req.CurrentCancellableAmount, req.RefundAccount, req.SkipWebhook}
	var out struct {
		Cancellation Cancellation `json:"cancellation"`
	}
	r := &request{method: "POST", path: "/payments/" + url.PathEscape(paymentID) + "/cancel", body: body,
		idempotencyKey: key, retry: true}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out.Cancellation, nil
}
