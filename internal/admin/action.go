package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
//
// That check alone is not atomic with the refund: a second submission of
// the same form can read the order before the first one's refund is
// stored and refund again after it. So the refund also carries an
// idempotency key made of the order, the form's version, the amount and
// the rest of the form (refundKey): of two submissions of one form, the
// second gets the first's answer, or is refused while the first runs,
// and PortOne is asked once.
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
	req.IdempotencyKey = refundKey(req, o.Version)
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
	// A second submission of the form gets the first one's answer and
	// writes this line again, the same to its form's version: it asked
	// for that refund, which was made once.
	h.note(r, o.MerchantUID, o.ImpUID, "refund", "refunded %s (%s); the order is now %s, %s refunded in all (form of version %d)",
		asked, reasonText(req.Reason), got.Status, got.RefundedAmount.Display(got.Currency), o.Version)
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

// refundKey is the idempotency key of a refund asked for from the
// console: the order's version the form was made from, the amount (zero
// for all that remains), and a digest of the order, the reason and the
// buyer's account. The same form sent twice is one key, so one refund. A
// form sent again with anything changed (an account added after PortOne
// asked for one) is another request, with a key of its own; the version
// check refuses it once the order has changed.
func refundKey(req payresult.RefundRequest, version int64) string {
	a := "all"
	if !req.Amount.IsZero() {
		a = req.Amount.String()
	}
	h := sha256.New()
	for _, s := range []string{req.MerchantUID, req.Reason} {
		fmt.Fprintf(h, "%d:%s,", len(s), s)
	}
	if acct := req.Account; acct != nil {
		for _, s := range []string{acct.Holder, acct.Bank, acct.Number, acct.Tel} {
			fmt.Fprintf(h, "%d:%s,", len(s), s)
		}
	}
	return fmt.Sprintf("admin-refund:v%d:%s:%s", version, a, hex.EncodeToString(h.Sum(nil)[:16]))
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
// happen (see explain).
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, merchantUID string, err error, what string) {
	status, why := h.explain(r, err)
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
