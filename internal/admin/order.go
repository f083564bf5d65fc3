package admin

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// orderData is the data of an order's page.
type orderData struct {
	Title    string
	Now      time.Time
	Order    *payresult.Order
	Attempts []payresult.Attempt
	Events   []payresult.Event
	Timeline []line
	// FeedOnly says events are never delivered (no events URL).
	FeedOnly bool
	// Actions says the re-check and refund actions are offered.
	Actions bool
	Token   string
	// Done names the action just done ("recheck", "refund", "resend");
	// Error says why one was refused.
	Done, Error string
	// Refund is what the refund form needs; nil when the order cannot be
	// refunded here.
	Refund *refundForm
	// AwaitsAccount says that the order's forged payment was deposited
	// into a virtual account and is not given back yet: payresult cannot
	// cancel it without the buyer's bank account.
	AwaitsAccount bool
}

// refundForm is the refund action of an order's page.
type refundForm struct {
	// Refundable is what remains paid: the most a refund may take.
	Refundable portone.Amount
	// Deposit says that the payment was deposited into a virtual account:
	// its refund goes to the buyer's bank account, which the form asks
	// for.
	Deposit bool
	// Forged says that the refund gives back a forged payment, whole.
	Forged bool
}

// line is one entry of an order's timeline: a note (a notice received, a
// PortOne look-up, a transition, an operator's action) or an event for
// the app.
type line struct {
	At     time.Time
	Source string
	Kind   string
	ImpUID string
	Detail string
}

// orderPage shows one order with its attempts, its timeline, its events
// with their delivery state, and its actions.
func (h *Handler) orderPage(w http.ResponseWriter, r *http.Request) {
	h.showOrder(w, r, r.PathValue("merchant_uid"), http.StatusOK, "")
}

// showOrder renders an order's page with status, and errText when an
// action was refused.
func (h *Handler) showOrder(w http.ResponseWriter, r *http.Request, merchantUID string, status int, errText string) {
	ctx := r.Context()
	o, err := h.cfg.Store.Order(ctx, merchantUID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := orderData{
		Title: "주문 · Order " + merchantUID, Now: h.cfg.Now(), Order: o, FeedOnly: h.cfg.FeedOnly,
		Actions: h.cfg.Processor != nil, Token: h.csrf, Done: r.URL.Query().Get("done"), Error: errText,
	}
	if d.Attempts, err = h.cfg.Store.Attempts(ctx, merchantUID); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Events, err = h.cfg.Store.OrderEvents(ctx, merchantUID); err != nil {
		h.fail(w, r, err)
		return
	}
	notes, err := h.cfg.Store.Notes(ctx, merchantUID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Timeline = timeline(notes, d.Events)
	d.AwaitsAccount = awaitsRefundAccount(o, d.Attempts)
	if d.Actions {
		d.Refund = refundOf(o, d.Attempts)
	}
	if errText != "" {
		d.Done = ""
	}
	h.render(w, r, status, "order.html", &d)
}

// refundOf says how o can be refunded, or nil when it cannot: a paid
// order in full or in part, and a forged deposit into a virtual account
// given back whole (other forgeries payresult cancels by itself).
func refundOf(o *payresult.Order, attempts []payresult.Attempt) *refundForm {
	deposit := paidBy(o, attempts) == portone.PayMethodVbank
	switch {
	case o.Status == payresult.StatusPaid || o.Status == payresult.StatusPartiallyRefunded:
		return &refundForm{Refundable: o.PaidAmount.Sub(o.RefundedAmount), Deposit: deposit}
	case awaitsRefundAccount(o, attempts):
		return &refundForm{Refundable: o.PaidAmount, Deposit: true, Forged: true}
	}
	return nil
}

// paidBy returns the pay method of the payment that decided o.
func paidBy(o *payresult.Order, attempts []payresult.Attempt) portone.PayMethod {
	for _, a := range attempts {
		if a.ImpUID == o.ImpUID {
			return a.PayMethod
		}
	}
	return ""
}

// awaitsRefundAccount reports whether o is forged by a deposit into a
// virtual account that was not given back (see
// payresult.ErrRefundAccountNeeded).
func awaitsRefundAccount(o *payresult.Order, attempts []payresult.Attempt) bool {
	return o.Status == payresult.StatusForged && !o.ForgeryCancelled && paidBy(o, attempts) == portone.PayMethodVbank
}

// timeline merges notes and events in time order; at the same instant a
// note comes before the event it led to.
func timeline(notes []payresult.Note, evs []payresult.Event) []line {
	out := make([]line, 0, len(notes)+len(evs))
	for _, n := range notes {
		out = append(out, line{At: n.At, Source: string(n.Source), Kind: n.Kind, ImpUID: n.ImpUID, Detail: n.Detail})
	}
	for _, ev := range evs {
		out = append(out, line{At: ev.CreatedAt, Source: "outbox", Kind: "event", Detail: eventDetail(ev)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// eventDetail says what an event announced.
func eventDetail(ev payresult.Event) string {
	return fmt.Sprintf("%s (%s) for the app", ev.Type, ev.ID)
}
