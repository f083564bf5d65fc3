package portonev2

import (
	"encoding/json"
	"time"
)

// Status is the state of a V2 payment: the discriminator of PortOne's
// Payment union. Decode it as an open set: PortOne may add states.
type Status string

// The states a Payment reports. The list filter spells the pending one
// FilterPending; a Payment itself says StatusPayPending.
const (
	StatusReady                Status = "READY"                  // created, or the window opened and was not completed
	StatusPayPending           Status = "PAY_PENDING"            // approval pending (PayPal)
	StatusVirtualAccountIssued Status = "VIRTUAL_ACCOUNT_ISSUED" // waiting for the deposit
	StatusPaid                 Status = "PAID"
	StatusFailed               Status = "FAILED"
	StatusPartialCancelled     Status = "PARTIAL_CANCELLED"
	StatusCancelled            Status = "CANCELLED"
	// FilterPending is how PaymentFilter.Status names StatusPayPending.
	FilterPending Status = "PENDING"
)

// Known reports whether s is one of the seven states this package knows.
func (s Status) Known() bool {
	switch s {
	case StatusReady, StatusPayPending, StatusVirtualAccountIssued, StatusPaid, StatusFailed,
		StatusPartialCancelled, StatusCancelled:
		return true
	}
	return false
}

// Payment is one V2 payment as PortOne returns it: the tagged union of
// ReadyPayment, PaidPayment, ... flattened into one struct. Fields that a
// state does not have are zero; Raw keeps the whole JSON object, so that
// fields this package does not model stay reachable.
type Payment struct {
	Status          Status         `json:"status"`
	ID              string         `json:"id"` // the merchant's paymentId
	TransactionID   string         `json:"transactionId"`
	MerchantID      string         `json:"merchantId"`
	StoreID         string         `json:"storeId"`
	Method          *PaymentMethod `json:"method,omitempty"`
	Channel         *Channel       `json:"channel,omitempty"`
	Version         string         `json:"version"` // V1 or V2
	ScheduleID      string         `json:"scheduleId,omitempty"`
	BillingKey      string         `json:"billingKey,omitempty"`
	RequestedAt     time.Time      `json:"requestedAt"`
	UpdatedAt       time.Time      `json:"updatedAt"`
	StatusChangedAt time.Time      `json:"statusChangedAt"`
	OrderName       string         `json:"orderName"`
	Amount          PaymentAmount  `json:"amount"`
	Currency        string         `json:"currency"`
	Customer        Customer       `json:"customer"`
	Origin          *Origin        `json:"origin,omitempty"`
	Products        []Product      `json:"products,omitzero"`
	ProductCount    int32          `json:"productCount,omitempty"`
	CustomData      string         `json:"customData,omitempty"` // JSON text
	Country         string         `json:"country,omitempty"`

	// PAID, PARTIAL_CANCELLED, CANCELLED
	PaidAt     time.Time `json:"paidAt,omitzero"`
	ReceiptURL string    `json:"receiptUrl,omitempty"`
	// PAY_PENDING, VIRTUAL_ACCOUNT_ISSUED, PAID, PARTIAL_CANCELLED, CANCELLED
	PgTxID     string `json:"pgTxId,omitempty"`
	PgResponse string `json:"pgResponse,omitempty"`
	// PAID: disputes is always present, [] when none.
	Disputes []Dispute `json:"disputes,omitzero"`
	// PAID: cancellations not yet completed; PARTIAL_CANCELLED and
	// CANCELLED: every cancellation.
	Cancellations []Cancellation `json:"cancellations,omitzero"`
	CancelledAt   time.Time      `json:"cancelledAt,omitzero"`
	// FAILED
	FailedAt time.Time `json:"failedAt,omitzero"`
	Failure  *Failure  `json:"failure,omitempty"`

	// Raw is the payment as PortOne sent it; empty on payments this
	// process built.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a payment and keeps its raw text.
func (p *Payment) UnmarshalJSON(b []byte) error {
	type plain Payment
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Payment(v)
	p.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Cancellable is what can still be cancelled: the amount paid less the
// amount cancelled. It is the currentCancellableAmount a safe cancel
// sends.
func (p *Payment) Cancellable() int64 { return p.Amount.Paid - p.Amount.Cancelled }

// IsTest reports whether p went through a test channel.
func (p *Payment) IsTest() bool { return p.Channel != nil && p.Channel.Type == ChannelTest }

// PaymentAmount is every amount of a payment, in minor units of its
// currency (won for KRW, cents for USD).
type PaymentAmount struct {
	Total            int64 `json:"total"`
	TaxFree          int64 `json:"taxFree"`
	Vat              int64 `json:"vat"`
	Supply           int64 `json:"supply"`
	Discount         int64 `json:"discount"`
	Paid             int64 `json:"paid"`
	Cancelled        int64 `json:"cancelled"`
	CancelledTaxFree int64 `json:"cancelledTaxFree"`
}

// The channel types.
const (
	ChannelLive = "LIVE"
	ChannelTest = "TEST"
)

// Channel is the PG channel a payment went through (SelectedChannel).
type Channel struct {
	Type         string `json:"type"` // ChannelLive or ChannelTest
	ID           string `json:"id,omitempty"`
	Key          string `json:"key,omitempty"`
	Name         string `json:"name,omitempty"`
	PgProvider   string `json:"pgProvider"`
	PgMerchantID string `json:"pgMerchantId"`
}

// Customer is the buyer, as the payment request gave it.
type Customer struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	BirthYear   string `json:"birthYear,omitempty"`
	BirthMonth  string `json:"birthMonth,omitempty"`
	BirthDay    string `json:"birthDay,omitempty"`
	Gender      string `json:"gender,omitempty"`
	Email       string `json:"email,omitempty"`
	PhoneNumber string `json:"phoneNumber,omitempty"`
	Zipcode     string `json:"zipcode,omitempty"`
}

// Origin is where the payment was requested from.
type Origin struct {
	PlatformType string `json:"platformType"` // PC, MOBILE or API
	UserAgent    string `json:"userAgent,omitempty"`
	URL          string `json:"url,omitempty"`
	IPAddress    string `json:"ipAddress"`
}

// Product is one line of the order.
type Product struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Tag      string `json:"tag,omitempty"`
	Code     string `json:"code,omitempty"`
	Amount   int64  `json:"amount"`
	Quantity int32  `json:"quantity"`
	Link     string `json:"link,omitempty"`
}

// The types of PaymentMethod, as its type field spells them.
const (
	MethodCard           = "PaymentMethodCard"
	MethodVirtualAccount = "PaymentMethodVirtualAccount"
	MethodTransfer       = "PaymentMethodTransfer"
	MethodEasyPay        = "PaymentMethodEasyPay"
	MethodMobile         = "PaymentMethodMobile"
)

// PaymentMethod is how the buyer paid: the union of PaymentMethodCard,
// PaymentMethodVirtualAccount, ... on Type, flattened.
type PaymentMethod struct {
	Type string `json:"type"`
	// card
	Card           *Card        `json:"card,omitempty"`
	ApprovalNumber string       `json:"approvalNumber,omitempty"`
	Installment    *Installment `json:"installment,omitempty"`
	PointUsed      *bool        `json:"pointUsed,omitempty"`
	// virtual account and transfer
	Bank          string    `json:"bank,omitempty"`
	AccountNumber string    `json:"accountNumber,omitempty"`
	AccountType   string    `json:"accountType,omitempty"` // NORMAL or FIXED
	RemitteeName  string    `json:"remitteeName,omitempty"`
	RemitterName  string    `json:"remitterName,omitempty"`
	ExpiredAt     time.Time `json:"expiredAt,omitzero"`
	IssuedAt      time.Time `json:"issuedAt,omitzero"`
	RefundStatus  string    `json:"refundStatus,omitempty"`
	// easy pay
	Provider string `json:"provider,omitempty"`
	// mobile
	PhoneNumber string `json:"phoneNumber,omitempty"`
}

// Card is the card of a card payment.
type Card struct {
	Publisher string `json:"publisher,omitempty"`
	Issuer    string `json:"issuer,omitempty"`
	Brand     string `json:"brand,omitempty"`
	Type      string `json:"type,omitempty"`
	OwnerType string `json:"ownerType,omitempty"`
	Bin       string `json:"bin,omitempty"`
	Name      string `json:"name,omitempty"`
	Number    string `json:"number,omitempty"`
}

// Installment is a card payment's instalment plan.
type Installment struct {
	Month          int32 `json:"month"`
	IsInterestFree bool  `json:"isInterestFree"`
}

// Dispute is a chargeback.
type Dispute struct {
	Status      string    `json:"status"`
	PgDisputeID string    `json:"pgDisputeId,omitempty"`
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"createdAt"`
	ResolvedAt  time.Time `json:"resolvedAt,omitzero"`
}

// The states of a Cancellation.
const (
	CancellationRequested = "REQUESTED" // asynchronous, as a virtual-account refund
	CancellationSucceeded = "SUCCEEDED"
	CancellationFailed    = "FAILED"
)

// Cancellation is one cancel of a payment (the PaymentCancellation
// union on Status, flattened). Its ID is the webhook's cancellationId.
type Cancellation struct {
	Status                string    `json:"status"`
	ID                    string    `json:"id"`
	PgCancellationID      string    `json:"pgCancellationId,omitempty"`
	TotalAmount           int64     `json:"totalAmount"`
	TaxFreeAmount         int64     `json:"taxFreeAmount"`
	VatAmount             int64     `json:"vatAmount"`
	EasyPayDiscountAmount *int64    `json:"easyPayDiscountAmount,omitempty"`
	Reason                string    `json:"reason"`
	CancelledAt           time.Time `json:"cancelledAt,omitzero"`
	RequestedAt           time.Time `json:"requestedAt"`
	ReceiptURL            string    `json:"receiptUrl,omitempty"` // SUCCEEDED only
	Trigger               string    `json:"trigger,omitempty"`    // CONSOLE, API, PORTONE_ADMIN, CHARGEBACK
}

// Failure is why a payment failed.
type Failure struct {
	Reason    string `json:"reason,omitempty"`
	PgCode    string `json:"pgCode,omitempty"`
	PgMessage string `json:"pgMessage,omitempty"`
}
