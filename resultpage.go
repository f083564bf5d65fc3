package payresult

import "net/http"

// ResultPage names what a buyer is shown after coming back from the
// payment window.
type ResultPage string

// Result pages. Paid, vbank_issued and the refunds go to the order's
// success URL; failed, refused and expired to its fail URL; the others are
// always shown by payresult (or the Render hook) itself.
const (
	PagePaid              ResultPage = "paid"
	PageVbankIssued       ResultPage = "vbank_issued"       // deposit into the virtual account shown
	PagePartiallyRefunded ResultPage = "partially_refunded" // paid, then part of it refunded: the rest stays paid
	PageRefunded          ResultPage = "refunded"           // paid, then refunded in full
	PageFailed            ResultPage = "failed"             // declined, cancelled by the buyer, or the window never opened
	PageRefused           ResultPage = "refused"            // forgery: the payment does not match the order
	PageExpired           ResultPage = "expired"            // the virtual account's deadline passed
	PageConfirming        ResultPage = "confirming"         // no verified result yet: the page refreshes itself
	PageNotFound          ResultPage = "not_found"          // no such order
	PageInvalid           ResultPage = "invalid"            // the redirect did not name an order
	PageError             ResultPage = "error"              // payresult could not decide: see its log
)

// Title is the page's heading, in Korean with English.
func (p ResultPage) Title() string {
	switch p {
	case PagePaid:
		return "결제가 완료되었습니다 · Payment complete"
	case PageVbankIssued:
		return "가상계좌가 발급되었습니다 · Virtual account issued"
	case PagePartiallyRefunded:
		return "결제 금액 일부가 환불되었습니다 · Part of your payment was refunded"
	case PageRefunded:
		return "결제가 전액 환불되었습니다 · Your payment was refunded in full"
	case PageFailed:
		return "결제에 실패했습니다 · Payment failed"
	case PageRefused:
		return "결제를 승인할 수 없습니다 · Payment refused"
	case PageExpired:
		return "입금 기한이 지났습니다 · Deposit deadline passed"
	case PageConfirming:
		return "결제를 확인하고 있습니다 · Confirming your payment"
	case PageNotFound:
		return "주문을 찾을 수 없습니다 · Order not found"
	case PageInvalid:
		return "잘못된 요청입니다 · Invalid request"
	}
	return "결제 결과를 확인할 수 없습니다 · Could not check the payment"
}

// RedirectView is the outcome of one redirect: the page to show, or the
// app URL to send the buyer to.
type RedirectView struct {
	Page ResultPage
	// HTTPStatus is the status to render the page with.
	HTTPStatus int
	// MerchantUID is the order the redirect named, even when unknown.
	MerchantUID string
	// ImpUID is the payment the redirect named, if any.
	ImpUID string
	// Order is the order after Confirm; nil when it could not be read.
	Order *Order
	// Message is the reason a payment failed: PortOne's fail_reason, or
	// the redirect's error_msg when the window never opened.
	Message string
}

// AppURL returns the order's URL the buyer should be sent to for this
// page, or "" when payresult shows the page itself.
func (v *RedirectView) AppURL() string {
	if v.Order == nil {
		return ""
	}
	switch v.Page {
	case PagePaid, PageVbankIssued, PagePartiallyRefunded, PageRefunded:
		return v.Order.SuccessURL
	case PageFailed, PageRefused, PageExpired:
		return v.Order.FailURL
	}
	return ""
}

// ViewOf decides what the buyer sees for an order after Confirm: o and err
// are Confirm's answer (o may be nil), errorMsg the redirect's error_msg.
// An order still pending with an error_msg is a window that was closed or
// never opened: the buyer sees the message, and the order stays pending
// so that a later attempt can still pay it.
func ViewOf(merchantUID string, o *Order, err error, errorMsg string) RedirectView {
	v := RedirectView{MerchantUID: merchantUID, Order: o, HTTPStatus: http.StatusOK}
	if o != nil {
		v.MerchantUID = o.MerchantUID
	}
	if err != nil {
		v.Page, v.HTTPStatus = pageOfError(KindOf(err))
		if v.Page == PageRefused && o != nil && o.Status != StatusForged {
			// The order itself is fine: it was this payment that did not fit.
			v.Order = nil
		}
		return v
	}
	if o == nil {
		v.Page, v.HTTPStatus = PageError, http.StatusInternalServerError
		return v
	}
	v.Page = pageOfStatus(o.Status, errorMsg)
	switch v.Page {
	case PageFailed:
		// A failed order's own reason is PortOne's word; a pending order's
		// is from an earlier attempt, so this redirect's message is newer.
		v.Message = errorMsg
		if o.Status == StatusFailed && o.FailReason != "" {
			v.Message = o.FailReason
		}
	case PageRefused:
		v.HTTPStatus = http.StatusForbidden
	}
	return v
}

func pageOfStatus(s Status, errorMsg string) ResultPage {
	switch s {
	case StatusPaid:
		return PagePaid
	case StatusVbankIssued:
		return PageVbankIssued
	case StatusPartiallyRefunded:
		return PagePartiallyRefunded
	case StatusRefunded:
		return PageRefunded
	case StatusFailed:
		return PageFailed
	case StatusForged:
		return PageRefused
	case StatusExpired:
		return PageExpired
	}
	if errorMsg != "" {
		return PageFailed
	}
	return PageConfirming
}

func pageOfError(k ErrorKind) (ResultPage, int) {
	switch k {
	case KindTransient:
		return PageConfirming, http.StatusOK
	case KindNotFound:
		return PageNotFound, http.StatusNotFound
	case KindInvalid:
		return PageInvalid, http.StatusBadRequest
	case KindMismatch, KindConflict:
		return PageRefused, http.StatusForbidden
	}
	return PageError, http.StatusInternalServerError
}
