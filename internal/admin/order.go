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
	// AwaitsAccount says that the order's forged payment was deposited
	// into a virtual account and is not given back yet: payresult cannot
	// cancel it without the buyer's bank account.
	AwaitsAccount bool
	Events        []payresult.Event
	Timeline      []line
	Token         string
	Resent        string
}

// line is one entry of an order's timeline: a notice record (notice
// received, PortOne look-up, transition, refusal) or an event for the app.
type line struct {
	At     time.Time
	Source string
	Kind   string
	ImpUID string
	Detail string
}

// orderPage shows one order with its attempts, its timeline and its events
// with their delivery state.
func (h *Handler) orderPage(w http.ResponseWriter, r *http.Request) {
	ctx, mu := r.Context(), r.PathValue("merchant_uid")
	o, err := h.cfg.Store.Order(ctx, mu)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := orderData{Title: "Order " + mu, Now: h.cfg.Now(), Order: o, Token: h.csrf, Resent: r.URL.Query().Get("resent")}
	if d.Attempts, err = h.cfg.Store.Attempts(ctx, mu); err != nil {
		h.fail(w, r, err)
		return
	}
	d.AwaitsAccount = awaitsRefundAccount(o, d.Attempts)
	if d.Events, err = h.cfg.Store.OrderEvents(ctx, mu); err != nil {
		h.fail(w, r, err)
		return
	}
	notes, err := h.cfg.Store.Notes(ctx, mu)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Timeline = timeline(notes, d.Events)
	h.render(w, http.StatusOK, "order.html", &d)
}

// awaitsRefundAccount reports whether o is forged by a deposit into a
// virtual account that was not given back (see
// payresult.ErrRefundAccountNeeded).
func awaitsRefundAccount(o *payresult.Order, attempts []payresult.Attempt) bool {
	if o.Status != payresult.StatusForged || o.ForgeryCancelled {
		return false
	}
	for _, a := range attempts {
		if a.ImpUID == o.ImpUID {
			return a.PayMethod == portone.PayMethodVbank
		}
	}
	return false
}

// timeline merges notice records and events in time order; at the same
// instant a record comes before the event it led to.
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

// eventDetail says what an event announced and where its delivery stands.
func eventDetail(ev payresult.Event) string {
	s := fmt.Sprintf("%s (%s): delivery %s after %d attempt(s)", ev.Type, ev.ID, ev.State, ev.Attempts)
	if ev.LastError != "" {
		s += "; last error: " + ev.LastError
	}
	return s
}
