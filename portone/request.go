package portone

// Prepared is an amount pre-registered for a merchant_uid
// (POST /payments/prepare). PortOne refuses a payment request for that
// merchant_uid with any other amount before the payment window opens.
type Prepared struct {
	MerchantUID string `json:"merchant_uid"`
	Amount      Amount `json:"amount"`
	// Currency is empty when the amount was registered without one
	// (PortOne then skips the currency check).
	Currency string `json:"currency,omitempty"`
}

// CancelRequest is the body of POST /payments/cancel. ImpUID wins over
// MerchantUID when both are set. A zero Amount cancels all that remains.
type CancelRequest struct {
	ImpUID      string `json:"imp_uid,omitempty"`
	MerchantUID string `json:"merchant_uid,omitempty"`
	// Amount to cancel; zero (omitted) means everything that remains.
	Amount *Amount `json:"amount,omitempty"`
	// TaxFree is the tax-free part of Amount.
	TaxFree *Amount `json:"tax_free,omitempty"`
	// VatAmount is the VAT part of Amount.
	VatAmount *Amount `json:"vat_amount,omitempty"`
	// Checksum is the cancellable balance the caller believes remains
	// (Payment.Cancellable). PortOne refuses the cancel when it differs, so
	// a request carrying a Checksum can be retried without refunding twice.
	Checksum *Amount `json:"checksum,omitempty"`
	Reason   string  `json:"reason,omitempty"`
	// Refund account, for virtual-account refunds.
	RefundHolder  string `json:"refund_holder,omitempty"`
	RefundBank    string `json:"refund_bank,omitempty"` // PG-specific bank code
	RefundAccount string `json:"refund_account,omitempty"`
	RefundTel     string `json:"refund_tel,omitempty"`
	// RetainPromotion keeps a promotion even if the remaining amount breaks its policy.
	RetainPromotion bool `json:"retain_promotion,omitempty"`
	// EnableWebhook asks PortOne to send a cancelled webhook for this cancel.
	EnableWebhook bool `json:"enable_webhook,omitempty"`
	// Extra carries PG-specific fields, such as {"requester": "customer"} for NaverPay.
	Extra map[string]string `json:"extra,omitempty"`
}

// PaymentPage is one page of a payment list (PagedPaymentAnnotation).
// Previous and Next are page numbers, 0 when there is none.
type PaymentPage struct {
	Total    int       `json:"total"`
	Previous int       `json:"previous"`
	Next     int       `json:"next"`
	List     []Payment `json:"list"`
}

// Sorting orders find and list results.
type Sorting string

// Sort orders PortOne accepts; the default is SortStartedDesc.
const (
	SortStartedDesc Sorting = "-started"
	SortStartedAsc  Sorting = "started"
	SortPaidDesc    Sorting = "-paid"
	SortPaidAsc     Sorting = "paid"
	SortUpdatedDesc Sorting = "-updated"
	SortUpdatedAsc  Sorting = "updated"
)

// AmountPtr returns a pointer to a, for the optional fields of CancelRequest.
func AmountPtr(a Amount) *Amount { return &a }
