package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// operator names who asked for an action, for the timeline: the admin
// user and the address the request came from.
func (h *Handler) operator(r *http.Request) string {
	addr := ""
	if h.cfg.ClientAddr != nil {
		addr = h.cfg.ClientAddr(r)
	} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		addr = host
	}
	return User + " from " + addr
}

// note writes one line to an order's timeline saying what an operator
// did. The timeline is history: a failure to write it is logged, and the
// action stands.
func (h *Handler) note(r *http.Request, merchantUID, impUID, kind, format string, args ...any) {
	n := payresult.Note{
		MerchantUID: merchantUID, ImpUID: impUID, Source: payresult.SourceAdmin, Kind: kind,
		Detail: h.operator(r) + ": " + fmt.Sprintf(format, args...), At: h.cfg.Now().UTC(),
	}
	if err := h.cfg.Store.Apply(r.Context(), &payresult.Change{Notes: []payresult.Note{n}}); err != nil {
		h.log.WarnContext(r.Context(), "admin: timeline note not written", "merchant_uid", merchantUID, "err", err)
	}
}

// done sends the operator back to the order's page, which says what was
// done.
func done(w http.ResponseWriter, r *http.Request, merchantUID, what string) {
	http.Redirect(w, r, Prefix+"/orders/"+url.PathEscape(merchantUID)+"?done="+what, http.StatusSeeOther)
}

// recheck looks the order up at PortOne now and runs it through Confirm,
// as a webhook would: a payment whose signals were lost, or a refund made
// in PortOne's console, reaches the order at once.
func (h *Handler) recheck(w http.ResponseWriter, r *http.Request) {
	o, ok := h.actionOrder(w, r)
	if !ok {
		return
	}
	h.note(r, o.MerchantUID, o.ImpUID, "notice", "asked to re-check the order at PortOne now")
	_, err := h.cfg.Processor.Confirm(r.Context(), payresult.Notice{Source: payresult.SourceAdmin, MerchantUID: o.MerchantUID, ImpUID: o.ImpUID})
	if err != nil && !payresult.IsNotFound(err) {
		h.refused(w, r, o.MerchantUID, err, "PortOne에서 확인하지 못했습니다 · The check at PortOne failed")
		return
	}
	done(w, r, o.MerchantUID, "recheck")
}

// refund refunds the order, in full or in part, through the same
// Processor.Refund as the app API. The form carries the order's version
// as the page showed it: an order that changed since (another refund, a
// double submission) is refused, so that the operator decides again on
// what it is now.
func (h *Handler) refund(w http.ResponseWriter, r *http.Request) {
	o, ok := h.actionOrder(w, r)
	if !ok {
		return
	}
	if v := r.PostFormValue("version"); v != strconv.FormatInt(o.Version, 10) {
		h.refused(w, r, o.MerchantUID, payresult.Errorf(payresult.KindConflict,
			"주문이 이 페이지를 연 뒤에 바뀌었습니다. 새로 고친 뒤 다시 정하세요 · The order changed since this page was shown; reload it and decide again."),
			"환불하지 않았습니다 · Nothing was refunded")
		return
	}
	req, err := refundRequest(r, o.MerchantUID)
	if err != nil {
		h.refused(w, r, o.MerchantUID, err, "환불하지 않았습니다 · Nothing was refunded")
		return
	}
	asked := "all that remains"
	if !req.Amount.IsZero() {
		asked = req.Amount.Display(o.Currency)
	}
	got, err := h.cfg.Processor.Refund(r.Context(), req)
	if err != nil {
		h.note(r, o.MerchantUID, o.ImpUID, "refund", "asked for a refund of %s (%s); refused: %v", asked, reasonText(req.Reason), err)
		h.refused(w, r, o.MerchantUID, err, "환불하지 않았습니다 · Nothing was refunded")
		return
	}
	h.note(r, o.MerchantUID, o.ImpUID, "refund", "refunded %s (%s); the order is now %s, %s refunded in all",
		asked, reasonText(req.Reason), got.Status, got.RefundedAmount.Display(got.Currency))
	done(w, r, o.MerchantUID, "refund")
}

// refundRequest reads the refund form: an amount (empty for all that
// remains; "5,000" and "5000원" are read as 5000), a reason, and the
// buyer's bank account when one is given.
func refundRequest(r *http.Request, merchantUID string) (payresult.RefundRequest, error) {
	req := payresult.RefundRequest{MerchantUID: merchantUID, Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	if raw := strings.NewReplacer(",", "", "원", "", " ", "").Replace(r.PostFormValue("amount")); raw != "" {
		a, err := portone.ParseAmount(raw)
		if err != nil || a.Sign() <= 0 {
			return req, payresult.Errorf(payresult.KindInvalid, "금액은 양수여야 합니다 · The amount %q is not a positive amount.", r.PostFormValue("amount"))
		}
		req.Amount = a
	}
	acct := &payresult.RefundAccount{
		Holder: strings.TrimSpace(r.PostFormValue("refund_holder")), Bank: strings.TrimSpace(r.PostFormValue("refund_bank")),
		Number: strings.TrimSpace(r.PostFormValue("refund_account")), Tel: strings.TrimSpace(r.PostFormValue("refund_tel")),
	}
	if *acct != (payresult.RefundAccount{}) {
		req.Account = acct
	}
	return req, nil
}

func reasonText(reason string) string {
	if reason == "" {
		return "no reason given"
	}
	return "reason: " + reason
}

// resend sends an event to the app again: one that was delivered (the
// app lost it) or that delivery gave up on. Its attempt count is kept,
// so that should the app still fail, the event is dead again after one
// more try rather than retried for another four days.
func (h *Handler) resend(w http.ResponseWriter, r *http.Request) {
	if h.cfg.FeedOnly {
		h.message(w, http.StatusConflict, "이벤트 URL이 없어 보낼 곳이 없습니다 (피드 전용) · No events URL is configured: events are read from the feed, not sent.")
		return
	}
	id, mu := r.PathValue("id"), r.PostFormValue("merchant_uid")
	ev, err := h.findEvent(r.Context(), mu, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.cfg.Store.ResendEvent(r.Context(), ev.ID, h.cfg.Now().UTC()); err != nil {
		if payresult.KindOf(err) == payresult.KindConflict {
			h.message(w, http.StatusConflict, "이벤트 "+id+"는 이미 전달을 기다리고 있습니다 · Event "+id+" waits for delivery already: there is nothing to resend.")
			return
		}
		h.fail(w, r, err)
		return
	}
	h.note(r, ev.MerchantUID, "", "resend", "sent %s (%s) to the app again; it was %s after %d attempt(s)", ev.Type, ev.ID, ev.State, ev.Attempts)
	h.log.InfoContext(r.Context(), "admin: event resent", "event_id", ev.ID, "merchant_uid", ev.MerchantUID)
	if r.PostFormValue("back") == "dashboard" {
		http.Redirect(w, r, Prefix+"/?done=resend", http.StatusSeeOther)
		return
	}
	done(w, r, ev.MerchantUID, "resend")
}

// actionOrder reads the order an action is for; it answers the request
// itself and returns false when there is none, or when the console has no
// processor to act with.
func (h *Handler) actionOrder(w http.ResponseWriter, r *http.Request) (*payresult.Order, bool) {
	if h.cfg.Processor == nil {
		h.message(w, http.StatusNotFound, "이 콘솔에서는 할 수 없습니다 · This console takes no actions.")
		return nil, false
	}
	o, err := h.cfg.Store.Order(r.Context(), r.PathValue("merchant_uid"))
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return o, true
}

// refused shows the order's page again with why the action did not
// happen: payresult's own message for a refusal (a bad amount, an order
// that cannot be refunded, PortOne's refusal), a generic one otherwise.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, merchantUID string, err error, what string) {
	status, why := http.StatusInternalServerError, "payresult의 로그를 보세요 · see payresult's log"
	var pe *payresult.Error
	switch payresult.KindOf(err) {
	case payresult.KindInvalid:
		status = http.StatusBadRequest
	case payresult.KindConflict, payresult.KindMismatch:
		status = http.StatusConflict
	case payresult.KindNotFound:
		status = http.StatusNotFound
	case payresult.KindTransient, payresult.KindUnauthorized:
		status, why = http.StatusServiceUnavailable, "PortOne 또는 데이터베이스가 응답하지 않습니다. 잠시 후 다시 하세요 · PortOne or the database does not answer; try again shortly"
	}
	if status != http.StatusInternalServerError && status != http.StatusServiceUnavailable && errors.As(err, &pe) {
		why = pe.Message
	}
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "admin: action failed", "path", r.URL.Path, "err", err)
	}
	h.showOrder(w, r, merchantUID, status, what+": "+why)
}

// findEvent returns the event id of order merchantUID.
func (h *Handler) findEvent(ctx context.Context, merchantUID, id string) (*payresult.Event, error) {
	if merchantUID == "" || !strings.HasPrefix(id, "evt_") {
		return nil, payresult.Errorf(payresult.KindInvalid, "the form names no event")
	}
	evs, err := h.cfg.Store.OrderEvents(ctx, merchantUID)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		if evs[i].ID == id {
			return &evs[i], nil
		}
	}
	return nil, payresult.Errorf(payresult.KindNotFound, "no event %s of order %s", id, merchantUID)
}
