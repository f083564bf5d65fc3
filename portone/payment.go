package portone

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Status is the state of one payment attempt at PortOne.
type Status string

// The four payment states of PortOne V1. A partial cancel may leave a
// payment in either StatusPaid or StatusCancelled depending on the PG, so
// refund state must be read from CancelAmount, never from Status alone.
const (
	StatusReady     Status = "ready"     // window opened and not paid, or virtual account issued
	StatusPaid      Status = "paid"      // approved, or virtual account deposit received
	StatusFailed    Status = "failed"    // declined, or cancelled by the buyer on some PGs
	StatusCancelled Status = "cancelled" // cancelled or refunded, fully or partly
)

// Valid reports whether s is one of the four PortOne payment states.
func (s Status) Valid() bool {
	switch s {
	case StatusReady, StatusPaid, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// PayMethod is how the buyer paid.
type PayMethod string

// The pay methods payresult treats specially, plus the common ones.
const (
	PayMethodCard     PayMethod = "card"
	PayMethodTrans    PayMethod = "trans" // real-time bank transfer
	PayMethodVbank    PayMethod = "vbank" // virtual account
	PayMethodPhone    PayMethod = "phone"
	PayMethodPoint    PayMethod = "point"
	PayMethodKakaoPay PayMethod = "kakaopay"
	PayMethodNaverPay PayMethod = "naverpay"
	PayMethodPayco    PayMethod = "payco"
	PayMethodSamsung  PayMethod = "samsung"
	PayMethodTossPay  PayMethod = "tosspay"
	PayMethodPaypal   PayMethod = "paypal"
)

// Time is a PortOne timestamp: integer UNIX seconds on the wire, with 0
// meaning "has not happened".
type Time int64

// TimeOf converts t to a PortOne timestamp; the zero time becomes 0.
func TimeOf(t time.Time) Time {
	if t.IsZero() {
		return 0
	}
	return Time(t.Unix())
}

// IsZero reports whether the event has not happened.
func (t Time) IsZero() bool { return t == 0 }

// Time returns t as a time.Time, or the zero time.Time when t is 0.
func (t Time) Time() time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0)
}

// UnmarshalJSON accepts an integer, and also null and integral floats
// (1.6e9) as some proxies rewrite numbers.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = 0
		return nil
	}
	// Every payment carries several timestamps, nearly always plain
	// integers: parsed here directly, without a nested decoder.
	if i, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*t = Time(i)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("portone: timestamp %s is not a number", b)
	}
	if i, err := n.Int64(); err == nil {
		*t = Time(i)
		return nil
	}
	f, err := n.Float64()
	if err != nil || f != float64(int64(f)) {
		return fmt.Errorf("portone: timestamp %s is not whole seconds", b)
	}
	*t = Time(int64(f))
	return nil
}

// NullString is a string that PortOne may send as null. Valid is false
// for null; an empty string that PortOne did send has Valid true.
type NullString struct {
	String string
	Valid  bool
}

// NewNullString returns a valid NullString holding s.
func NewNullString(s string) NullString { return NullString{String: s, Valid: true} }

// MarshalJSON writes null when ns is not valid.
func (ns NullString) MarshalJSON() ([]byte, error) {
	if !ns.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(ns.String)
}

// UnmarshalJSON reads a JSON string or null.
func (ns *NullString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*ns = NullString{}
		return nil
	}
	if err := json.Unmarshal(b, &ns.String); err != nil {
		return fmt.Errorf("portone: %s is not a string", b)
	}
	ns.Valid = true
	return nil
}

// Payment is one payment attempt as PortOne V1 returns it
// (PaymentAnnotation). Fields are declared in the alphabetical order of
// their JSON keys, the order in which PortOne writes them.
type Payment struct {
	Amount            Amount          `json:"amount"`
	ApplyNum          NullString      `json:"apply_num"`
	BankCode          NullString      `json:"bank_code"`
	BankName          NullString      `json:"bank_name"`
	BuyerAddr         NullString      `json:"buyer_addr"`
	BuyerEmail        NullString      `json:"buyer_email"`
	BuyerName         NullString      `json:"buyer_name"`
	BuyerPostcode     NullString      `json:"buyer_postcode"`
	BuyerTel          NullString      `json:"buyer_tel"`
	CancelAmount      Amount          `json:"cancel_amount"`
	CancelHistory     []Cancellation  `json:"cancel_history"`
	CancelReason      NullString      `json:"cancel_reason"`
	CancelReceiptURLs []string        `json:"cancel_receipt_urls"`
	CancelledAt       Time            `json:"cancelled_at"`
	CardCode          NullString      `json:"card_code"`
	CardIssuerCode    NullString      `json:"card_issuer_code"`
	CardIssuerName    NullString      `json:"card_issuer_name"`
	CardName          NullString      `json:"card_name"`
	CardNumber        NullString      `json:"card_number"`
	CardPublisherCode NullString      `json:"card_publisher_code"`
	CardPublisherName NullString      `json:"card_publisher_name"`
	CardQuota         int             `json:"card_quota"`
	CardType          *int            `json:"card_type"` // 0 credit, 1 check; nil when unknown
	CashReceiptIssued bool            `json:"cash_receipt_issued"`
	Channel           NullString      `json:"channel"` // pc, mobile or api
	Currency          string          `json:"currency"`
	CustomData        NullString      `json:"custom_data"` // JSON text; see DecodeCustomData
	CustomerUID       NullString      `json:"customer_uid"`
	CustomerUIDUsage  NullString      `json:"customer_uid_usage"`
	DepositHistory    []Deposit       `json:"deposit_history,omitempty"` // absent unless a fixed vbank had deposits
	EmbPGProvider     NullString      `json:"emb_pg_provider"`
	Escrow            bool            `json:"escrow"`
	FailReason        NullString      `json:"fail_reason"`
	FailedAt          Time            `json:"failed_at"`
	ImpUID            string          `json:"imp_uid"`
	MerchantUID       string          `json:"merchant_uid"`
	Name              NullString      `json:"name"`
	PaidAt            Time            `json:"paid_at"`
	PayMethod         PayMethod       `json:"pay_method"`
	PGID              NullString      `json:"pg_id"`
	PGProvider        NullString      `json:"pg_provider"`
	PGTID             NullString      `json:"pg_tid"`
	Promotion         *Promotion      `json:"promotion"`
	ReceiptURL        NullString      `json:"receipt_url"`
	Sandbox           bool            `json:"sandbox"`
	StartedAt         Time            `json:"started_at"`
	Status            Status          `json:"status"`
	UserAgent         NullString      `json:"user_agent"`
	VbankCode         NullString      `json:"vbank_code"`
	VbankDate         Time            `json:"vbank_date"` // deposit deadline
	VbankHolder       NullString      `json:"vbank_holder"`
	VbankIssuedAt     Time            `json:"vbank_issued_at"`
	VbankName         NullString      `json:"vbank_name"`
	VbankNum          NullString      `json:"vbank_num"`
	Extension         json.RawMessage `json:"extension,omitempty"` // only with ?extension=true
}

// Cancellation is one step of a payment's cancel history
// (PaymentCancelAnnotation). PortOne writes these keys in declaration
// order, not alphabetically.
type Cancellation struct {
	PGTID          string     `json:"pg_tid"`
	Amount         Amount     `json:"amount"`
	CancelledAt    Time       `json:"cancelled_at"`
	Reason         string     `json:"reason"`
	CancellationID string     `json:"cancellation_id,omitempty"` // absent before 2024
	ReceiptURL     NullString `json:"receipt_url"`
}

// Deposit is one deposit into a fixed virtual account (VbankDepositAnnotation).
type Deposit struct {
	PGTID         string `json:"pg_tid"`
	Amount        Amount `json:"amount"`
	DepositorName string `json:"depositor_name"`
	DepositedAt   Time   `json:"deposited_at"`
}

// Promotion is a discount PortOne applied to the payment.
type Promotion struct {
	ID       string `json:"id"`
	Discount Amount `json:"discount"`
}

// Cancellable is the amount that can still be cancelled: Amount minus
// CancelAmount. It is the checksum a safe cancel request sends.
func (p *Payment) Cancellable() Amount { return p.Amount.Sub(p.CancelAmount) }

// IsVbankIssued reports whether p is a virtual account waiting for its deposit.
func (p *Payment) IsVbankIssued() bool {
	return p.Status == StatusReady && p.PayMethod == PayMethodVbank && p.VbankNum.Valid && p.VbankNum.String != ""
}

// DecodeCustomData decodes the custom_data that the merchant passed to
// IMP.request_pay. PortOne stores it as a JSON string; a value that is not
// JSON (a plain string) is decoded as a JSON string when v is a *string.
func (p *Payment) DecodeCustomData(v any) error {
	if !p.CustomData.Valid {
		return fmt.Errorf("portone: payment %s has no custom_data", p.ImpUID)
	}
	if err := json.Unmarshal([]byte(p.CustomData.String), v); err != nil {
		if s, ok := v.(*string); ok {
			*s = p.CustomData.String
			return nil
		}
		return fmt.Errorf("portone: custom_data of payment %s: %w", p.ImpUID, err)
	}
	return nil
}
